/**
 * A relay handles the messages arriving on one link concurrently across
 * flows (origin → destination), one at a time within a flow. Real nodes on
 * 127.0.0.1: R listens (gRPC), B (a node) and X (a raw link that answers
 * when the test says) dial it, and a raw link O dials it and sends
 * everything at once. A message for X that X does not answer yet must
 * not hold up O's messages for B (B's apps get them all while X waits);
 * each flow to B arrives once and in order; B's NACK of a corrupt message
 * and X's late NACK come back to O as the answers to those messages, and
 * X's message is answered only after X did.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { newMessageId, sealMessage } from '../../src/message/index.js';
import { SenderMacKeys } from '../../src/message/sender-mac.js';
import type { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { encodeWebpushMessage } from '../../src/proto/webpush-message.js';
import { PeerAuthenticator } from '../../src/transport/auth/peer-authenticator.js';
import { GrpcDialer } from '../../src/transport/grpc/grpc-dialer.js';
import { linkLimits } from '../../src/transport/link-limits.js';
import type { InboundMessage, Link, SendOutcome } from '../../src/transport/types.js';
import { startInProcessNode } from '../helpers/in-process-node.js';
import type { CleanupScope } from '../helpers/temp-dir.js';
import { makeTlsNode, type TlsNode } from '../transport/tls-nodes.js';
import type { TestNode } from '../message/nodes.js';
import type { Card } from '../../src/identity/types.js';

const logger = pino({ level: 'silent' });
const PER_FLOW = 100;

async function dial(scope: CleanupScope, self: TlsNode, r: PushmeshNode): Promise<Link> {
  const dialer = new GrpcDialer({ auth: new PeerAuthenticator({ selfId: self.id, tls: self.tls }), self: { id: self.id, card: () => self.card, version: 'test' }, limits: linkLimits(), logger });
  const port = r.addresses.grpc!.port;
  const link = await dialer.dial({ transport: 'grpc', host: '127.0.0.1', port, expectedId: r.id, url: `grpcs://${r.id}@127.0.0.1:${port}` });
  scope.after(() => {
    link.close();
    dialer.close();
  });
  return link;
}

async function sealed(from: TestNode, to: Card, value: string, corrupt = false): Promise<Uint8Array> {
  const wire = await sealMessage({ id: newMessageId(), from: from.id, to: to.id, topic: 'order', time: Date.now(), ttl: 600, urgency: 'normal', meta: {}, data: { kind: 'text', value } }, to, from.signer, {
    senderMac: new SenderMacKeys(from.privateScalar, from.publicKey),
  });
  if (corrupt) wire.body[wire.body.length - 1]! ^= 1;
  return encodeWebpushMessage(wire);
}

/** Sends until the relay forwards it (B's link may not be up at R yet: `no_route` until it is). */
async function sendWhenRouted(link: Link, make: () => Promise<Uint8Array>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const o = await link.send(await make());
    if (o.ok) return;
    assert.ok(o.reason === 'no_route' || o.reason === 'queue_full', `unexpected refusal ${o.reason}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('B never became reachable through R');
}

describe('relay pipelining across flows on one link', { timeout: 120_000 }, () => {
  it('a stuck next hop holds up only its own flow; flows stay in order; NACKs travel back', { timeout: 90_000 }, async (t) => {
    const r = await startInProcessNode(t, { https: null, grpc: { host: '127.0.0.1', port: 0 }, advertise: 'https://127.0.0.1:9' });
    const rUrl = `grpcs://${r.id}@127.0.0.1:${r.addresses.grpc!.port}`;
    const b = await startInProcessNode(t, { https: null, grpc: null, advertise: 'https://127.0.0.1:9', peers: [rUrl] });
    const [o, o2, x] = await Promise.all([makeTlsNode(), makeTlsNode(), makeTlsNode()]);
    const xLink = await dial(t, x, r);
    const oLink = await dial(t, o, r);

    const got = new Map<string, number[]>([
      [o.id, []],
      [o2.id, []],
    ]);
    let arrived!: () => void;
    const allArrived = new Promise<void>((resolve, reject) => {
      arrived = resolve;
      const timer = setTimeout(() => reject(new Error('B did not get both flows while X held its message')), 30_000);
      timer.unref();
    });
    b.bus.on('published', (ev) => {
      const m = ev.message;
      if (m.topic !== 'order' || m.data.kind !== 'text' || m.data.value === 'probe') return;
      got.get(m.from)?.push(Number(m.data.value));
      if (got.get(o.id)!.length === PER_FLOW - 1 && got.get(o2.id)!.length === PER_FLOW) arrived();
    });
    await sendWhenRouted(oLink, () => sealed(o, b.card(), 'probe'));

    // X takes its message and answers nothing until told.
    const xIncoming = xLink.incoming[Symbol.asyncIterator]();
    let xAnswered = false;
    let xSettled = false;
    const toX = oLink.send(await sealed(o, x.card, 'for x')).then((out) => {
      xSettled = true;
      return out;
    });
    const atX = (await xIncoming.next()).value as InboundMessage;
    assert.equal(atX.wire.to, x.id);

    // Two flows to B, interleaved, all in flight at once on O's one link; O→B #50 is corrupt (B refuses it).
    const CORRUPT = 50;
    const wires: Array<{ flow: string; i: number; bytes: Uint8Array }> = [];
    for (let i = 0; i < PER_FLOW; i++) {
      wires.push({ flow: o.id, i, bytes: await sealed(o, b.card(), String(i), i === CORRUPT) });
      wires.push({ flow: o2.id, i, bytes: await sealed(o2, b.card(), String(i)) });
    }
    let answered = 0;
    const pending = wires.map((w) => oLink.send(w.bytes).finally(() => answered++));
    // B's apps get both flows while X's message is still unanswered: that message holds up only its own flow.
    await allArrived;
    assert.equal(xSettled, false, 'the message for X is not answered while X has not answered');
    // The link answers frames in the order they came (docs/transports.md), so O sees these answers once X's is given.
    assert.equal(answered, 0);
    const want = (skip?: number): number[] => Array.from({ length: PER_FLOW }, (_, i) => i).filter((i) => i !== skip);
    assert.deepEqual(got.get(o.id), want(CORRUPT), 'flow O→B: each once, in order');
    assert.deepEqual(got.get(o2.id), want(), 'flow O2→B: each once, in order');

    // Now X refuses its message: the NACK reaches O as that message's answer.
    xAnswered = true;
    atX.nack('too_large');
    const xOut = await toX;
    assert.ok(xAnswered);
    assert.deepEqual(xOut, { ok: false, reason: 'too_large' });
    const outcomes: SendOutcome[] = await Promise.all(pending);
    outcomes.forEach((out, k) => {
      const w = wires[k]!;
      if (w.flow === o.id && w.i === CORRUPT) assert.deepEqual(out, { ok: false, reason: 'bad_signature' }, "B's NACK (the sender MAC no longer matches) came back through R");
      else assert.deepEqual(out, { ok: true }, `${w.flow.slice(0, 6)} #${w.i}`);
    });

    // X's flow goes on: the next message is ACKed once X ACKs it.
    const next = oLink.send(await sealed(o, x.card, 'again'));
    const atX2 = (await xIncoming.next()).value as InboundMessage;
    atX2.ack();
    assert.deepEqual(await next, { ok: true });
  });
});
