/**
 * Per-link state built only when first needed (flow holds, the server's
 * responses awaiting answers: docs/benchmarks.md "10,000 peers") works the
 * same the second and third time, and under load, over a real WebSocket
 * link on 127.0.0.1.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { decodeWebpushMessage } from '../../src/proto/index.js';
import { PeerAuthenticator } from '../../src/transport/auth/peer-authenticator.js';
import { linkLimits } from '../../src/transport/link-limits.js';
import type { InboundMessage, Link } from '../../src/transport/types.js';
import { WsDialer } from '../../src/transport/ws/ws-dialer.js';
import { take } from './compliance.js';
import { sealedBatch } from './messages.js';
import { makeTlsNode } from './tls-nodes.js';
import { startWsNode } from './ws-node.js';

async function wsPair(t: { after: (fn: () => Promise<void> | void) => void }) {
  const [aNode, bNode] = await Promise.all([makeTlsNode(), makeTlsNode()]);
  let accepted!: (l: Link) => void;
  const inbound = new Promise<Link>((r) => (accepted = r));
  const server = await startWsNode(bNode, linkLimits(), (l) => accepted(l));
  t.after(() => server.close());
  const dialer = new WsDialer({ auth: new PeerAuthenticator({ selfId: aNode.id, tls: aNode.tls }), self: { id: aNode.id, card: () => aNode.card, version: 'test' }, limits: linkLimits(), logger: pino({ level: 'silent' }) });
  const a = await dialer.dial({ transport: 'wss', host: '127.0.0.1', port: server.port, expectedId: bNode.id, url: 'test' });
  t.after(() => a.close());
  return { a, b: await inbound, aNode, bNode };
}

describe('per-link state built lazily, over a real WebSocket link', () => {
  it('a flow is held, released and held again, three times on one link', async (t) => {
    const { a, b, aNode, bNode } = await wsPair(t);
    for (let round = 0; round < 3; round++) {
      const [x, y] = await sealedBatch(aNode, bNode, 2);
      const first = [a.send(x!), a.send(y!)];
      const [gx, gy] = await take(b, 2);
      gx!.nack('queue_full');
      assert.equal(gy!.heldBack?.(), 'queue_full', `round ${round}: the later message is held behind the refused one`);
      gy!.nack('queue_full');
      assert.deepEqual(await Promise.all(first), [{ ok: false, reason: 'queue_full' }, { ok: false, reason: 'queue_full' }]);
      // The refused message comes again first (as the outbox retries): handled, it lifts the hold; then the next one.
      for (const m of [x!, y!]) {
        const again = a.send(m);
        const [r] = await take(b, 1);
        assert.equal(r!.heldBack?.(), null, `round ${round}: the hold is lifted`);
        r!.ack();
        assert.deepEqual(await again, { ok: true });
      }
    }
  });

  it('3,000 messages from the listening side, answered in order, answered as they come, twice on one link', async (t) => {
    const { a, b, aNode, bNode } = await wsPair(t);
    for (const part of [0, 1]) {
      const batch = await sealedBatch(bNode, aNode, 1_500);
      const sends = batch.map((m) => b.send(m));
      const got: InboundMessage[] = [];
      while (got.length < batch.length) {
        // Answered 500 at a time: the window (1024 unanswered) keeps the rest queued in send() meanwhile.
        for (const m of await take(a, 500)) {
          if (got.length % 7 === 3) m.nack('bad_message');
          else m.ack();
          got.push(m);
        }
      }
      assert.deepEqual(got.map((m) => m.wire.id), batch.map((m) => decodeWebpushMessage(m).id), `part ${part}: in order`);
      const outcomes = await Promise.all(sends);
      assert.deepEqual(outcomes, batch.map((_, i) => (i % 7 === 3 ? { ok: false, reason: 'bad_message' } : { ok: true })));
    }
  });
});
