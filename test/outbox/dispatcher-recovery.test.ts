/**
 * OutboxDispatcher, issue 13: one abort signal per attempt (no
 * MaxListenersExceededWarning on a busy sender), an entry with no way to
 * its jump host yields its place and is given up after a bound, and a
 * destination that shows it is back is tried at once, not at the end of
 * its backoff.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { OutboxDispatcher } from '../../src/outbox/dispatcher.js';
import type { DeliveryResult } from '../../src/core/delivery.js';
import { gate, outboxSetup } from './fixtures.js';

const silent = pino({ level: process.env['DBG'] ? 'debug' : 'silent' });

describe('OutboxDispatcher: signals, yielding, recovery', () => {
  it('each attempt has its own abort signal: 64 in flight raise no MaxListenersExceededWarning, and close aborts every one', async (t) => {
    const { store, add } = await outboxSetup(t);
    for (let i = 0; i < 64; i++) add(`m${i}`, `d${i % 8}`);
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w);
    };
    process.on('warning', onWarning);
    t.after(() => process.off('warning', onWarning));
    const aborted: string[] = [];
    const d = new OutboxDispatcher({
      store,
      logger: silent,
      perDestination: 8,
      deliver: (entry, signal) =>
        new Promise<DeliveryResult>((resolve) => {
          // What a link or an HTTPS request does with the signal it is given.
          signal.addEventListener('abort', () => {
            aborted.push(entry.id);
            resolve({ kind: 'retry', reason: 'aborted' });
          }, { once: true });
        }),
    });
    d.kick();
    while (d.inFlight < 64) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r)); // warnings are emitted on a later tick
    assert.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message), []);
    await d.close();
    assert.equal(aborted.length, 64, 'close aborts every attempt in flight');
  });

  it('an entry with no way to its jump host yields its place (later ones of its destination go), then is rejected no_route after the bound', async (t) => {
    const { store, add } = await outboxSetup(t);
    for (let i = 0; i < 4; i++) add(`m${i}`, 'b');
    const g = gate();
    const BOUND = 300;
    const d = new OutboxDispatcher({ store, deliver: g.deliver, logger: silent, perDestination: 1, backoff: { baseMs: 20, capMs: 40 }, jumpHostNoRouteMs: BOUND });
    t.after(() => d.close());
    const delivered: string[] = [];
    d.on('delivered', (e) => delivered.push(e.id));
    const rejected = new Promise<{ id: string; reason: string; at: number }>((resolve) => d.once('rejected', (e, reason) => resolve({ id: e.id, reason, at: Date.now() })));
    const t0 = Date.now();
    d.kick();
    await g.until(1);
    assert.equal(g.open[0]!.entry.id, 'm0');
    g.open.splice(0)[0]!.settle({ kind: 'retry', reason: 'no route to jump host X', noRouteToJumpHost: true });
    // m1..m3 go now, in order, one at a time (strict order), while m0 waits on its own.
    const order: string[] = [];
    while (order.length < 3) {
      await g.until(1);
      for (const x of g.open.splice(0)) {
        if (x.entry.id === 'm0') x.settle({ kind: 'retry', reason: 'no route to jump host X', noRouteToJumpHost: true });
        else {
          order.push(x.entry.id);
          x.settle({ kind: 'delivered' });
        }
      }
    }
    assert.deepEqual(order, ['m1', 'm2', 'm3']);
    assert.ok(Date.now() - t0 < BOUND, `the others did not wait for the bound (${Date.now() - t0} ms)`);
    // m0 keeps meeting no route: rejected once the bound has passed.
    const answerM0 = (): void => {
      for (const x of g.open.splice(0)) x.settle({ kind: 'retry', reason: 'no route to jump host X', noRouteToJumpHost: true });
    };
    const pump = setInterval(answerM0, 5);
    t.after(() => clearInterval(pump));
    const r = await rejected;
    clearInterval(pump);
    assert.equal(r.id, 'm0');
    assert.match(r.reason, /^no_route: no route to jump host X, for \d+ s$/);
    assert.ok(r.at - t0 >= BOUND && r.at - t0 < BOUND + 1_000, `given up after the bound (${r.at - t0} ms)`);
    assert.equal(store.depth(), 0);
    assert.equal(d.yielded, 0);
  });

  it('an entry that yielded its place and is then replaced (RFC 8030 Topic) is not sent again', async (t) => {
    const { store } = await outboxSetup(t);
    const put = (id: string): void => {
      store.enqueue({ id, dest: 'b', replace: 'news', urgency: 'normal', expiresAt: Date.now() + 60_000, wire: Buffer.from(id) }, Date.now());
    };
    put('old');
    const g = gate();
    const d = new OutboxDispatcher({ store, deliver: g.deliver, logger: silent, perDestination: 1, backoff: { baseMs: 30, capMs: 30 } });
    t.after(() => d.close());
    d.kick();
    await g.until(1);
    g.open.splice(0)[0]!.settle({ kind: 'retry', reason: 'no route to jump host X', noRouteToJumpHost: true });
    while (d.yielded === 0) await new Promise((r) => setImmediate(r));
    put('new'); // replaces 'old' while it waits on its own
    d.kick();
    await g.until(1);
    assert.equal(g.open[0]!.entry.id, 'new');
    g.open.splice(0)[0]!.settle({ kind: 'delivered' });
    while (d.yielded > 0) await new Promise((r) => setTimeout(r, 5)); // the old one's retry time comes and goes
    assert.equal(g.open.length, 0, 'the replaced message was not attempted again');
    assert.equal(store.depth(), 0);
  });

  it('a destination that shows it is back (peerIsBack) is tried at once, not at the end of its backoff; its answer wakes the rest', async (t) => {
    const { store, add } = await outboxSetup(t);
    for (let i = 0; i < 3; i++) add(`m${i}`, 'b');
    const g = gate();
    // A window of 3 and a backoff of a minute: all three fail and wait for a minute each.
    const d = new OutboxDispatcher({ store, deliver: g.deliver, logger: silent, perDestination: 3, backoff: { baseMs: 60_000, capMs: 60_000 } });
    t.after(() => d.close());
    const retried = new Set<string>();
    d.on('retry', (e) => retried.add(e.id));
    d.kick();
    await g.until(3);
    for (const x of g.open.splice(0)) x.settle({ kind: 'retry', reason: 'ECONNREFUSED' });
    while (retried.size < 3) await new Promise((r) => setImmediate(r));
    d.peerIsBack('someone-else'); // not waiting for a retry: nothing happens
    d.peerIsBack('b');
    await g.until(1); // the probe, now
    assert.equal(g.open.length, 1, 'one probe while the destination was failing');
    const delivered: string[] = [];
    d.on('delivered', (e) => delivered.push(e.id));
    g.open.splice(0)[0]!.settle({ kind: 'delivered' });
    // Answered: the other two go now too (they were waiting for their own minute).
    await g.until(2);
    for (const x of g.open.splice(0)) x.settle({ kind: 'delivered' });
    while (delivered.length < 3) await new Promise((r) => setImmediate(r));
    assert.deepEqual(delivered.sort(), ['m0', 'm1', 'm2']);
  });
});
