/**
 * The one compliance suite every transport passes (gRPC, WebSocket, HTTPS
 * Web Push, memory): run by one small *.test.ts per transport, each giving
 * a `setup` that opens a real link pair between two test nodes.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { isPushmeshError } from '../../src/errors/index.js';
import { decodeWebpushMessage, NACK_REASONS } from '../../src/proto/index.js';
import type { LinkLimits } from '../../src/transport/link-limits.js';
import type { InboundMessage, Link, SendOutcome } from '../../src/transport/types.js';
import { makeNode, type TestNode } from '../message/nodes.js';
import { sealedBatch, sealedBytes } from './messages.js';

export interface LinkPair {
  /** The dialing side's link (to b). */
  a: Link;
  /** The listening side's link (to a). */
  b: Link;
  aNode: TestNode;
  bNode: TestNode;
  teardown(): Promise<void>;
}

export type LinkPairSetup = (limits?: Partial<LinkLimits>) => Promise<LinkPair>;

export interface Capabilities {
  /** Each end sees the other end close (false for HTTPS, which has no session to watch). */
  sessions: boolean;
  /** The handshake exchanges cards. */
  cards: boolean;
  /** Message IDs travel in the clear (HTTPS carries only the encrypted body). */
  clearIds: boolean;
  /** A flow is held behind a message refused for a passing reason (ADS links; HTTPS carries one message per exchange). */
  orderedFlows: boolean;
}

const TIMEOUT = 30_000;
const iterators = new WeakMap<Link, AsyncIterator<InboundMessage>>();

/** The next `count` messages from `link` (one shared iterator per link). */
export async function take(link: Link, count: number, ms = 20_000): Promise<InboundMessage[]> {
  let it = iterators.get(link);
  if (!it) iterators.set(link, (it = link.incoming[Symbol.asyncIterator]()));
  const out: InboundMessage[] = [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for message ${out.length + 1} of ${count}`)), ms);
  });
  try {
    while (out.length < count) {
      const next = await Promise.race([it.next(), timeout]);
      if (next.done) throw new Error(`link ended after ${out.length} of ${count} messages`);
      out.push(next.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return out;
}

/**
 * Takes `count` messages one at a time, answering each with `answer`
 * before taking the next: works whatever the transport's window (HTTPS
 * has one message in flight at a time).
 */
export async function answerEach(link: Link, count: number, answer: (m: InboundMessage, i: number) => void): Promise<InboundMessage[]> {
  const got: InboundMessage[] = [];
  for (let i = 0; i < count; i++) {
    const [m] = await take(link, 1);
    answer(m!, i);
    got.push(m!);
  }
  return got;
}

/** Resolves true if `p` settles within `ms`. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
  clearTimeout(timer);
  return result;
}

function idOf(bytes: Uint8Array): string {
  return decodeWebpushMessage(bytes).id;
}

export function runLinkCompliance(name: string, setup: LinkPairSetup, caps: Capabilities): void {
  describe(`transport compliance: ${name}`, { timeout: 120_000 }, () => {
    const withPair = (fn: (p: LinkPair) => Promise<void>, limits?: Partial<LinkLimits>) => async () => {
      const pair = await setup(limits);
      try {
        await fn(pair);
      } finally {
        await pair.teardown();
      }
    };

    it('knows the peer by the key it proved', { timeout: TIMEOUT }, withPair(async ({ a, b, aNode, bNode }) => {
      assert.equal(a.peer.id, bNode.id);
      assert.equal(b.peer.id, aNode.id);
      assert.equal(a.direction, 'outbound');
      assert.equal(b.direction, 'inbound');
      if (caps.cards) {
        assert.deepEqual(a.peerCard, bNode.card);
        // The listening side learns the dialer's card from its first request; wait for traffic to be sure it was read.
        const sent = a.send(await sealedBytes(aNode, bNode));
        const [m] = await take(b, 1);
        m!.ack();
        await sent;
        assert.deepEqual(b.peerCard, aNode.card);
      }
    }));

    it('carries a message each way and returns the ACK', { timeout: TIMEOUT }, withPair(async ({ a, b, aNode, bNode }) => {
      const toB = await sealedBytes(aNode, bNode, { hello: 'b' });
      const sent = a.send(toB);
      const [got] = await take(b, 1);
      assert.equal(got!.wire.from, aNode.id);
      assert.equal(got!.wire.to, bNode.id);
      assert.deepEqual(Buffer.from(got!.wire.body), Buffer.from(decodeWebpushMessage(toB).body));
      if (caps.clearIds) assert.equal(got!.wire.id, idOf(toB));
      assert.equal(got!.link, b);
      got!.ack();
      assert.deepEqual(await sent, { ok: true });

      const toA = await sealedBytes(bNode, aNode, { hello: 'a' });
      const back = b.send(toA);
      const [reply] = await take(a, 1);
      assert.equal(reply!.wire.from, bNode.id);
      reply!.ack();
      assert.deepEqual(await back, { ok: true });
      assert.equal(a.stats().acked, 1);
      assert.equal(b.stats().received, 1);
    }));

    it('keeps order on a link, both ways', { timeout: TIMEOUT }, withPair(async ({ a, b, aNode, bNode }) => {
      const count = 150;
      for (const [from, to, fromNode, toNode] of [
        [a, b, aNode, bNode],
        [b, a, bNode, aNode],
      ] as const) {
        const batch = await sealedBatch(fromNode, toNode, count);
        const outcomes = batch.map((m) => from.send(m));
        const got = await answerEach(to, count, (m) => m.ack());
        if (caps.clearIds) assert.deepEqual(got.map((m) => m.wire.id), batch.map(idOf));
        else assert.deepEqual(got.map((m) => Buffer.from(m.wire.body)), batch.map((m) => Buffer.from(decodeWebpushMessage(m).body)));
        assert.ok((await Promise.all(outcomes)).every((o) => o.ok));
      }
    }));

    it('returns every NACK reason to the sender', { timeout: TIMEOUT }, withPair(async ({ a, b, aNode, bNode }) => {
      const batch = await sealedBatch(aNode, bNode, NACK_REASONS.length);
      const outcomes = batch.map((m) => a.send(m));
      await answerEach(b, NACK_REASONS.length, (m, i) => m.nack(NACK_REASONS[i]!));
      assert.deepEqual(await Promise.all(outcomes), NACK_REASONS.map((reason) => ({ ok: false, reason })));
      assert.equal(a.stats().nacked, NACK_REASONS.length);
    }));

    it('answers mixed ACKs and NACKs in one batch message by message', { timeout: TIMEOUT }, withPair(async ({ a, b, aNode, bNode }) => {
      const batch = await sealedBatch(bNode, aNode, 6);
      const outcomes = batch.map((m) => b.send(m));
      const got = await answerEach(a, 6, (m, i) => (i % 2 ? m.nack('no_route') : m.ack()));
      const want: SendOutcome[] = got.map((_, i) => (i % 2 ? { ok: false, reason: 'no_route' } : { ok: true }));
      assert.deepEqual(await Promise.all(outcomes), want);
    }));

    if (caps.orderedFlows) {
      it('holds a flow behind a message refused for a passing reason until it comes again; other flows go on', { timeout: TIMEOUT }, withPair(async ({ a, b, aNode, bNode }) => {
        const other = makeNode();
        const [x, y1, y2, y3] = await sealedBatch(aNode, bNode, 4);
        const z = await sealedBytes(other, bNode); // another flow (origin) on the same link
        const first = [x!, y1!, y2!, z].map((m) => a.send(m));
        const got = await take(b, 4);
        assert.deepEqual(got.map((m) => m.wire.id), [x!, y1!, y2!, z].map(idOf));
        got[0]!.nack('queue_full');
        // y1 and y2 came before the refusal was known: asked right before handling, they are held back.
        assert.equal(got[1]!.heldBack?.(), 'queue_full');
        assert.equal(got[2]!.heldBack?.(), 'queue_full');
        assert.equal(got[3]!.heldBack?.(), null, 'another flow is not held');
        got[1]!.nack('queue_full');
        got[2]!.nack('queue_full');
        got[3]!.ack();
        const refusedFirst: SendOutcome = { ok: false, reason: 'queue_full' };
        assert.deepEqual(await Promise.all(first), [refusedFirst, refusedFirst, refusedFirst, { ok: true }]);
        // A later message of the flow is refused by the link itself: the consumer never sees it.
        assert.deepEqual(await a.send(y3!), refusedFirst);
        // The refused message comes again: handled (the hold lifts), and the flow goes on.
        const again = a.send(x!);
        const [gotX] = await take(b, 1);
        assert.equal(gotX!.wire.id, idOf(x!));
        assert.equal(gotX!.heldBack?.(), null);
        gotX!.ack();
        assert.deepEqual(await again, { ok: true });
        const next = a.send(y1!);
        const [gotY] = await take(b, 1);
        assert.equal(gotY!.heldBack?.(), null);
        gotY!.ack();
        assert.deepEqual(await next, { ok: true });
        // A refusal that is final (not retried) holds nothing.
        const bad = a.send(y2!);
        const [gotBad] = await take(b, 1);
        gotBad!.nack('bad_message');
        assert.deepEqual(await bad, { ok: false, reason: 'bad_message' });
        const after = a.send(y3!);
        const [gotAfter] = await take(b, 1);
        assert.equal(gotAfter!.heldBack?.(), null);
        gotAfter!.ack();
        assert.deepEqual(await after, { ok: true });
      }));
    }

    it('refuses what is not a valid message before the peer sees it', { timeout: TIMEOUT }, withPair(async ({ a, b, aNode, bNode }) => {
      const garbage = await a.send(Buffer.from('definitely not protobuf \xff\xff'));
      assert.deepEqual(garbage, { ok: false, reason: 'bad_message' });
      const huge = await a.send(Buffer.alloc(64 * 1024, 1));
      assert.deepEqual(huge, { ok: false, reason: 'too_large' });
      const good = a.send(await sealedBytes(aNode, bNode, { after: 'garbage' }));
      const [m] = await take(b, 1);
      assert.deepEqual((m!.wire as { body: Uint8Array }).body.length > 0, true);
      m!.ack();
      assert.deepEqual(await good, { ok: true });
    }));

    it('withdraws a queued message when its signal aborts', { timeout: TIMEOUT }, withPair(async ({ a, b, aNode, bNode }) => {
      const ac = new AbortController();
      ac.abort(new Error('changed my mind'));
      await assert.rejects(a.send(await sealedBytes(aNode, bNode), { signal: ac.signal }), /changed my mind/);
      const next = a.send(await sealedBytes(aNode, bNode, { n: 'next' }));
      const [m] = await take(b, 1);
      m!.ack();
      assert.deepEqual(await next, { ok: true });
      assert.equal(b.stats().received, 1);
    }));

    it('bounds the send queue: beyond window + queue a send is refused with queue_full at once', { timeout: TIMEOUT }, withPair(async ({ a, b, aNode, bNode }) => {
      const batch = await sealedBatch(aNode, bNode, 16);
      const outcomes = batch.map((m) => a.send(m));
      // window 2 + queue 4 = 6 accepted for sending; the other 10 are refused without waiting.
      const early = await Promise.all(outcomes.slice(6));
      assert.deepEqual(early, early.map(() => ({ ok: false, reason: 'queue_full' })));
      assert.equal(await settlesWithin(Promise.race(outcomes.slice(0, 6)), 300), false, 'accepted sends wait for their answers');
      for (let i = 0; i < 6; i++) (await take(b, 1))[0]!.ack(); // the window lets two through at a time
      assert.deepEqual(await Promise.all(outcomes.slice(0, 6)), outcomes.slice(0, 6).map(() => ({ ok: true })));
    }, { window: 2, maxQueued: 4 }));

    it('close() stops now: pending sends fail with ERR_LINK_CLOSED, later sends are refused', { timeout: TIMEOUT }, withPair(async ({ a, b, aNode, bNode }) => {
      const pending = a.send(await sealedBytes(aNode, bNode));
      await take(b, 1); // arrived, never answered
      a.close();
      await assert.rejects(pending, (err) => isPushmeshError(err) && err.code === 'ERR_LINK_CLOSED');
      await assert.rejects(a.send(await sealedBytes(aNode, bNode)), (err) => isPushmeshError(err) && err.code === 'ERR_LINK_CLOSED');
      assert.deepEqual(await a.closed, { reason: 'normal', message: 'closed', remote: false });
      if (caps.sessions) {
        const seen = await b.closed;
        assert.equal(seen.remote, true);
        assert.equal(seen.reason, 'normal');
      }
    }));

    it('drain() finishes in-flight messages both ways, then closes normally', { timeout: TIMEOUT }, withPair(async ({ a, b, aNode, bNode }) => {
      const batch = await sealedBatch(aNode, bNode, 20);
      const outcomes = batch.map((m) => a.send(m));
      const [first] = await take(b, 1);
      const drained = a.drain();
      await assert.rejects(a.send(await sealedBytes(aNode, bNode)), (err) => isPushmeshError(err) && err.code === 'ERR_LINK_CLOSED');
      assert.equal(await settlesWithin(drained, 200), false, 'drain waits for the answers');
      first!.ack();
      await answerEach(b, 19, (m) => m.ack()); // queued messages are still sent while draining
      await drained;
      assert.ok((await Promise.all(outcomes)).every((o) => o.ok));
      assert.equal((await a.closed).reason, 'normal');
      if (caps.sessions) assert.equal((await b.closed).remote, true);
    }));

    it('drain() of an idle link closes it at once', { timeout: TIMEOUT }, withPair(async ({ a, b }) => {
      await a.drain();
      assert.deepEqual(await a.closed, { reason: 'normal', message: 'drained', remote: false });
      if (caps.sessions) assert.equal((await b.closed).remote, true);
      await a.drain(); // again: nothing to do
    }));

    if (caps.sessions) {
      it('the listening side can drain too', { timeout: TIMEOUT }, withPair(async ({ a, b, aNode, bNode }) => {
        const out = b.send(await sealedBytes(bNode, aNode));
        const [m] = await take(a, 1);
        const drained = b.drain();
        m!.ack();
        await drained;
        assert.deepEqual(await out, { ok: true });
        assert.equal((await a.closed).remote, true);
      }));
    }
  });
}
