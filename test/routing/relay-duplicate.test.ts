/**
 * Issue 13, point 4: a relay must not ACK a copy of a message it is still
 * passing on. Origin P sends M over link L1 to relay R; R forwards it to N
 * and waits for N's answer; L1 drops; P retries M over a new link L2. R's
 * answer on L2 must be the outcome of the first copy (here N's NACK), not
 * an ACK given at once — P deletes what is ACKed, so an early ACK followed
 * by a failed forward (whose NACK goes to the dead L1) loses M.
 *
 * Deterministic: real ADS links on in-memory pipes (src/transport/memory),
 * a real MeshRouting and VAPID verifier at R, and N answering only when
 * the test says.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { newMessageId, sealMessage } from '../../src/message/index.js';
import { encodeWebpushMessage } from '../../src/proto/webpush-message.js';
import { MeshRouting } from '../../src/routing/mesh-routing.js';
import { memoryLinkPair } from '../../src/transport/memory/memory-pair.js';
import type { InboundMessage, Link, SendOutcome } from '../../src/transport/types.js';
import { VapidVerifier } from '../../src/webpush/index.js';
import { makeNode, type TestNode } from '../message/nodes.js';

const logger = pino({ level: 'silent' });
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

interface Relay {
  mesh: MeshRouting;
  /** Links P dials to R: R's consumer relays what comes on them; `arrived` resolves when R took the n-th message off any of them. */
  dialFrom(p: TestNode): Promise<Link>;
  arrived(n: number): Promise<void>;
  /** N's side of its link to R: the messages R forwards. */
  atN: AsyncIterator<InboundMessage>;
  close(): void;
}

async function relay(r: TestNode, n: TestNode): Promise<Relay> {
  const links: Link[] = [];
  let toN: Link | undefined;
  const mesh = new MeshRouting({
    self: r.id,
    key: { privateKey: r.privateKey, publicKey: r.publicKey },
    verifier: new VapidVerifier(),
    linkTo: (peer) => (peer === n.id ? toN : undefined),
    sendToPeer: async () => undefined,
    hold: () => {
      throw new Error('nothing is held in this test');
    },
    logger,
  });
  // N dials R (an inbound link at R: a `link` route to N).
  const nr = await memoryLinkPair({ id: n.id, card: n.card }, { id: r.id, card: r.card }, { logger });
  links.push(nr.client, nr.server);
  toN = nr.server;
  mesh.linkUp(nr.server);
  let taken = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const consume = async (link: Link): Promise<void> => {
    for await (const m of link.incoming) {
      taken++;
      for (const w of waiters.filter((x) => x.n <= taken)) w.resolve();
      void mesh.relay(m);
    }
  };
  return {
    mesh,
    dialFrom: async (p) => {
      const pr = await memoryLinkPair({ id: p.id, card: p.card }, { id: r.id, card: r.card }, { logger });
      links.push(pr.client, pr.server);
      void consume(pr.server);
      return pr.client;
    },
    arrived: (count) => (taken >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ n: count, resolve }))),
    atN: nr.client.incoming[Symbol.asyncIterator](),
    close: () => {
      for (const l of links) l.close();
      mesh.close();
    },
  };
}

async function sealed(from: TestNode, to: TestNode): Promise<Uint8Array> {
  const wire = await sealMessage(
    { id: newMessageId(), from: from.id, to: to.id, topic: 't', time: Date.now(), ttl: 600, urgency: 'normal', meta: {}, data: { kind: 'text', value: 'M' } },
    to.card,
    from.signer,
    { senderMac: from.mac },
  );
  return encodeWebpushMessage(wire);
}

/** Whether `p` settled by the time every microtask and one turn of the event loop ran. */
async function settledNow(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await nextTurn();
  return done;
}

describe('relay: a copy of a message still being forwarded', () => {
  it('gets the first copy’s outcome on the link it came on, never an early ACK (the L1-drop race)', async (t) => {
    const [p, r, n] = [makeNode(), makeNode(), makeNode()];
    const R = await relay(r, n);
    t.after(() => R.close());
    const m = await sealed(p, n);

    // P → R over L1; R forwards to N, which does not answer yet.
    const l1 = await R.dialFrom(p);
    const first = l1.send(m).catch((err: unknown) => err as Error);
    const atN1 = (await R.atN.next()).value as InboundMessage;
    assert.equal(atN1.wire.from, p.id);

    // L1 drops (its answer can no longer reach P); P retries M over a new link L2.
    l1.close();
    assert.ok((await first) instanceof Error, 'the first send failed with its link');
    const l2 = await R.dialFrom(p);
    const second = l2.send(m);
    await R.arrived(2); // R took the copy off L2 …
    await nextTurn(); // … and decided (the VAPID check and the decision run in microtasks).
    assert.equal(await settledNow(second), false, 'no answer on L2 while the first copy waits for N');

    // N refuses the first copy: the copy on L2 gets that refusal (before the fix: an ACK, and M was lost).
    atN1.nack('no_route');
    assert.deepEqual(await second, { ok: false, reason: 'no_route' } satisfies SendOutcome);
    assert.equal(R.mesh.router.inFlight, 0);

    // P retries once more: passed on again (not taken for a duplicate of a refused message), ACKed after N's ACK.
    const third = l2.send(m);
    const atN2 = (await R.atN.next()).value as InboundMessage;
    assert.equal(atN2.wire.id, atN1.wire.id);
    assert.equal(await settledNow(third), false);
    atN2.ack();
    assert.deepEqual(await third, { ok: true });

    // Passed on now: a later copy is a duplicate, ACKed at once without going to N again.
    assert.deepEqual(await l2.send(m), { ok: true });
    const counts = (await R.mesh.relayed.get()).values.map((v) => `${v.labels.action}:${v.labels.outcome}=${v.value}`).sort();
    assert.deepEqual(counts, ['duplicate:ack=1', 'duplicate:no_route=1', 'forward:ack=1', 'forward:no_route=1'].sort());
  });

  it('a copy that comes while the first is forwarded is ACKed only after the next hop ACKed', async (t) => {
    const [p, r, n] = [makeNode(), makeNode(), makeNode()];
    const R = await relay(r, n);
    t.after(() => R.close());
    const m = await sealed(p, n);
    const l1 = await R.dialFrom(p);
    const first = l1.send(m);
    const atN = (await R.atN.next()).value as InboundMessage;
    const l2 = await R.dialFrom(p);
    const second = l2.send(m);
    await R.arrived(2);
    await nextTurn();
    assert.equal(await settledNow(second), false, 'the copy waits for N');
    assert.equal(await settledNow(first), false);
    atN.ack();
    assert.deepEqual(await Promise.all([first, second]), [{ ok: true }, { ok: true }]);
  });

  it('when the next hop’s link fails, the waiting copy gets queue_full (P retries), not an ACK', async (t) => {
    const [p, r, n] = [makeNode(), makeNode(), makeNode()];
    const R = await relay(r, n);
    t.after(() => R.close());
    const m = await sealed(p, n);
    const l1 = await R.dialFrom(p);
    void l1.send(m).catch(() => undefined);
    const atN = (await R.atN.next()).value as InboundMessage;
    l1.close();
    const l2 = await R.dialFrom(p);
    const second = l2.send(m);
    await R.arrived(2);
    await nextTurn();
    assert.equal(await settledNow(second), false);
    atN.link.close(); // the link R → N breaks before N answers
    assert.deepEqual(await second, { ok: false, reason: 'queue_full' });
  });
});
