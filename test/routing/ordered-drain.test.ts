/**
 * Strict order end to end with pipelined delivery (deliveryWindow 1, the
 * default): real nodes on 127.0.0.1, O → R ← B (R listens; O and B dial
 * it). O sends a stream to B; B leaves in the middle of it (attempts in
 * flight at O and at R fail), R holds the rest, B comes back and R drains
 * it. B's apps must see every message, and the first time they see each
 * one must be in the order O sent them (a message B had shown to its apps
 * but not yet answered when it left may come once more after its restart:
 * its duplicate filter is in memory).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { PeerStore } from '../../src/identity/index.js';
import type { NodeConfig } from '../../src/config/index.js';
import type { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { startInProcessNode } from '../helpers/in-process-node.js';
import { tempHome } from '../helpers/temp-dir.js';

const COUNT = 600;
const hidden = { https: null, advertise: 'https://127.0.0.1:9' } satisfies Partial<NodeConfig>;

/** Resolves when `cond()` holds after one of `node`'s bus events (or at once); rejects after `ms`. */
function whenPublished(node: PushmeshNode, cond: () => boolean, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (cond()) return resolve();
    const timer = setTimeout(() => {
      node.bus.off('published', check);
      reject(new Error(`timed out: ${what}`));
    }, ms);
    const check = (): void => {
      if (!cond()) return;
      clearTimeout(timer);
      node.bus.off('published', check);
      resolve();
    };
    node.bus.on('published', check);
  });
}

/** Polls a node's own counter until it holds (nothing to wait on for outbox depth); rejects after `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('strict order with pipelined delivery, through a relay and a departure', { timeout: 180_000 }, () => {
  it('every message reaches B, first seen in the order sent, when B leaves mid-stream and comes back', { timeout: 150_000 }, async (t) => {
    const r = await startInProcessNode(t, { ...hidden, grpc: { host: '127.0.0.1', port: 0 } });
    const rUrl = `grpcs://${r.id}@127.0.0.1:${r.addresses.grpc!.port}`;
    const bHome = await tempHome(t);
    const b1 = await startInProcessNode(t, { ...hidden, home: bHome, grpc: null, peers: [rUrl] });
    const o = await startInProcessNode(t, { ...hidden, grpc: null, peers: [rUrl] });
    await new PeerStore(o.config.home).add(b1.card());
    await o.refreshPeers();

    const seen: number[] = [];
    const watch = (b: PushmeshNode): void => {
      b.bus.on('published', (ev) => {
        const m = ev.message;
        if (m.topic === 'seq' && m.data.kind === 'text' && m.from === o.id) seen.push(Number(m.data.value));
      });
    };
    watch(b1);
    // The chain is up once a probe gets through.
    let probed = false;
    b1.bus.on('published', (ev) => (probed ||= ev.message.topic === 'probe'));
    await o.send({ to: b1.id, topic: 'probe', data: { kind: 'text', value: 'probe' }, ttl: 120, urgency: 'normal' });
    await whenPublished(b1, () => probed, 60_000, 'the probe reaching B');

    for (let i = 0; i < COUNT; i++) await o.send({ to: b1.id, topic: 'seq', data: { kind: 'text', value: String(i) }, ttl: 600, urgency: 'normal' });
    await whenPublished(b1, () => seen.length >= 100, 60_000, 'B getting the first 100');
    await b1.close();
    const beforeRestart = seen.length;
    assert.ok(beforeRestart < COUNT, 'B left before the stream was through');

    // Everything O still had goes to R, which holds it for B.
    await until(() => o.queueDepth() === 0, 120_000, 'O handing everything to R');
    assert.ok(r.queueDepth() > 0, 'R holds what B has not got');

    const b2 = await startInProcessNode(t, { ...hidden, home: bHome, grpc: null, peers: [rUrl] });
    watch(b2);
    await whenPublished(b2, () => new Set(seen).size === COUNT, 120_000, `B getting all ${COUNT}`);

    const firsts: number[] = [];
    const once = new Set<number>();
    for (const n of seen) if (!once.has(n)) (once.add(n), firsts.push(n));
    assert.deepEqual(firsts, Array.from({ length: COUNT }, (_, i) => i), 'first seen in the order sent');
    // B's duplicate filter is on disk: what it had before it left does not come to its apps again.
    assert.equal(seen.length, COUNT, 'each exactly once, across the restart of B');
  });
});
