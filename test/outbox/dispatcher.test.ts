import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { OutboxDispatcher } from '../../src/outbox/dispatcher.js';
import type { OutboxEntry } from '../../src/outbox/types.js';
import type { DeliveryPin, DeliveryResult } from '../../src/core/delivery.js';
import { gate, outboxSetup } from './fixtures.js';

const silent = pino({ level: 'silent' });

describe('OutboxDispatcher', () => {
  it('a destination whose attempt failed gets one attempt at a time until one is answered; its backlog stays in order', async (t) => {
    const { store, add } = await outboxSetup(t);
    for (let i = 0; i < 6; i++) add(`m${i}`, 'a');
    const g = gate();
    const d = new OutboxDispatcher({ store, deliver: g.deliver, logger: silent, perDestination: 4, backoff: { baseMs: 1, capMs: 2 } });
    t.after(() => d.close());
    d.kick();
    await g.until(4); // the full window while all is well
    for (const o of g.open.splice(0)) o.settle({ kind: 'retry', reason: 'down' });
    await g.until(1);
    await new Promise((r) => setTimeout(r, 50)); // room for a (wrong) second attempt to start
    assert.equal(g.open.length, 1, 'one probe while the destination fails');
    assert.equal(g.open[0]!.entry.id, 'm0', 'the probe is the oldest message');
    const order: string[] = [];
    d.on('delivered', (e) => order.push(e.id));
    g.open.splice(0)[0]!.settle({ kind: 'delivered' });
    // Answered: the window opens again, and the rest go in queue order.
    while (order.length < 6) {
      await g.until(1);
      for (const o of g.open.splice(0).sort((x, y) => x.entry.seq - y.entry.seq)) o.settle({ kind: 'delivered' });
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(order, ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('strict order, pipelined: attempts over one link in queue order; a refusal falls back to one probe, oldest first', async (t) => {
    const { store, add } = await outboxSetup(t);
    for (let i = 0; i < 10; i++) add(`m${i}`, 'a');
    for (let i = 0; i < 3; i++) add(`h${i}`, 'h');
    const open: { entry: OutboxEntry; pin: DeliveryPin | undefined; settle: (r: DeliveryResult) => void }[] = [];
    const waiters: (() => void)[] = [];
    const started: string[] = [];
    // 'a' is reached over a link ("L1"); 'h' only over HTTPS (no lane): as LinkManager.deliver decides, before any await.
    const deliver = (entry: OutboxEntry, signal: AbortSignal, pin?: DeliveryPin) => {
      const lane = entry.dest === 'a' ? 'L1' : null;
      if (pin) {
        if (pin.lane === undefined) pin.lane = lane;
        else if (pin.lane !== lane || lane === null) return Promise.resolve<DeliveryResult>({ kind: 'retry', reason: 'way changed' });
      }
      started.push(entry.id);
      return new Promise<DeliveryResult>((settle) => {
        signal.addEventListener('abort', () => settle({ kind: 'retry', reason: 'closed' }), { once: true });
        open.push({ entry, pin, settle });
        for (const w of waiters.splice(0)) w();
      });
    };
    const until = async (pred: () => boolean) => {
      while (!pred()) await new Promise<void>((r) => waiters.push(r));
    };
    const flying = (dest: string) => open.filter((o) => o.entry.dest === dest);
    const d = new OutboxDispatcher({ store, deliver, logger: silent, perDestination: 1, orderedPipeline: 4, backoff: { baseMs: 1, capMs: 2 } });
    t.after(() => d.close());
    const delivered: string[] = [];
    d.on('delivered', (e) => delivered.push(e.id));
    d.kick();
    await until(() => flying('a').length === 4);
    await new Promise((r) => setTimeout(r, 50)); // room for a (wrong) fifth attempt to 'a' or second to 'h'
    assert.deepEqual(flying('a').map((o) => o.entry.id), ['m0', 'm1', 'm2', 'm3'], 'in queue order');
    assert.ok(flying('a').every((o) => o.pin === flying('a')[0]!.pin && o.pin?.lane === 'L1'), 'one pin, one lane');
    assert.equal(flying('h').length, 1, 'no pipelining without a link');

    const take = (id: string) => open.splice(open.findIndex((o) => o.entry.id === id), 1)[0]!;
    take('m0').settle({ kind: 'delivered' });
    await until(() => flying('a').length === 4);
    assert.deepEqual(flying('a').map((o) => o.entry.id), ['m1', 'm2', 'm3', 'm4']);
    // m1 is refused (the receiver then holds the flow: m2..m4 are refused too).
    for (const id of ['m1', 'm2', 'm3', 'm4']) take(id).settle({ kind: 'retry', reason: 'queue_full' });
    await until(() => flying('a').length === 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(flying('a').map((o) => o.entry.id), ['m1'], 'one probe, the oldest');
    take('m1').settle({ kind: 'delivered' });
    // Healthy again: the rest go, pipelined and in order.
    while (delivered.filter((id) => id.startsWith('m')).length < 10) {
      await until(() => flying('a').length > 0);
      const next = flying('a').sort((x, y) => x.entry.seq - y.entry.seq)[0]!;
      take(next.entry.id).settle({ kind: 'delivered' });
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual(delivered.filter((id) => id.startsWith('m')), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    const aStarts = started.filter((id) => id.startsWith('m'));
    assert.deepEqual(aStarts.slice(0, 9), ['m0', 'm1', 'm2', 'm3', 'm4', 'm1', 'm2', 'm3', 'm4'], 'written in queue order, the refused ones again from the oldest');
    for (const o of open.splice(0)) o.settle({ kind: 'delivered' });
  });

  it('keeps a window of attempts per destination and a total bound', async (t) => {
    const { store, add } = await outboxSetup(t);
    for (let i = 0; i < 10; i++) add(`a${i}`, 'a');
    for (let i = 0; i < 10; i++) add(`b${i}`, 'b');
    const g = gate();
    const d = new OutboxDispatcher({ store, deliver: g.deliver, logger: silent, concurrency: 5, perDestination: 3 });
    t.after(() => d.close());
    d.kick();
    await g.until(5);
    await new Promise((r) => setTimeout(r, 50)); // room for a (wrong) sixth attempt to start
    assert.equal(g.open.length, 5);
    const perDest = (dest: string) => g.open.filter((o) => o.entry.dest === dest).length;
    assert.ok(perDest('a') <= 3 && perDest('b') <= 3, `a=${perDest('a')} b=${perDest('b')}`);
    // Settle everything as it comes: all 20 are delivered, each once.
    const delivered: string[] = [];
    d.on('delivered', (e) => delivered.push(e.id));
    while (delivered.length < 20) {
      const next = g.open.shift();
      if (next) next.settle({ kind: 'delivered' });
      else await Promise.race([g.until(1), once(d, 'delivered')]);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(new Set(delivered).size, 20);
    assert.equal(store.depth(), 0);
  });

  it('retries with backoff, drops permanent refusals and expired entries, does not spin while attempts are in flight', async (t) => {
    const { store, add } = await outboxSetup(t);
    add('retry-me', 'a');
    add('refuse-me', 'b');
    add('expire-me', 'c', Date.now() + 150);
    let dueCalls = 0;
    const due = store.due.bind(store);
    store.due = (...args) => {
      dueCalls++;
      return due(...args);
    };
    let tries = 0;
    const d = new OutboxDispatcher({
      store,
      logger: silent,
      backoff: { baseMs: 20, capMs: 40 },
      deliver: async (e) => {
        if (e.id === 'retry-me') return ++tries < 3 ? { kind: 'retry', reason: 'down' } : { kind: 'delivered' };
        if (e.id === 'refuse-me') return { kind: 'rejected', reason: 'HTTP 400' };
        await new Promise((r) => setTimeout(r, 300)); // c: slow, then down; expires meanwhile
        return { kind: 'retry', reason: 'timeout' };
      },
    });
    t.after(() => d.close());
    const events: string[] = [];
    d.on('delivered', (e) => events.push(`delivered ${e.id}`));
    d.on('rejected', (e, why) => events.push(`rejected ${e.id} ${why}`));
    d.on('expired', (e) => events.push(`expired ${e.id}`));
    d.kick();
    const done = new Promise<void>((resolve) => {
      const check = () => events.length === 3 && resolve();
      for (const ev of ['delivered', 'rejected', 'expired'] as const) d.on(ev, check);
    });
    await done;
    assert.deepEqual(events.sort(), ['delivered retry-me', 'expired expire-me', 'rejected refuse-me HTTP 400']);
    assert.equal(tries, 3);
    assert.equal(store.depth(), 0);
    // ~0.35 s of work: a pump per event and per retry timer, not one per millisecond.
    assert.ok(dueCalls < 40, `due() called ${dueCalls} times`);
  });

  it('drain() waits for attempts in flight; what is left stays queued', async (t) => {
    const { store, add } = await outboxSetup(t);
    add('x', 'a');
    add('y', 'b');
    const g = gate();
    const d = new OutboxDispatcher({ store, deliver: g.deliver, logger: silent });
    d.kick();
    await g.until(2);
    let drained = false;
    const draining = d.drain().then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(drained, false, 'drain waits for the attempts in flight');
    g.open[0]!.settle({ kind: 'delivered' });
    g.open[1]!.settle({ kind: 'retry', reason: 'down' });
    await draining;
    assert.equal(store.depth(), 1, 'the failed one stays for the next start');
  });
});
