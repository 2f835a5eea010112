import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { OutboxStore } from '../../src/outbox/outbox-store.js';
import type { NewOutboxEntry } from '../../src/outbox/types.js';
import { openDatabase } from '../../src/store/database.js';
import { pushmeshError } from '../helpers/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

const entry = (id: string, dest: string, over: Partial<NewOutboxEntry> = {}): NewOutboxEntry => ({
  id,
  dest,
  replace: null,
  urgency: 'normal',
  expiresAt: 1_000_000,
  wire: Buffer.from(id),
  ...over,
});

describe('OutboxStore (SQLite)', () => {
  it('orders by urgency then age, bounds the size, replaces by Topic, survives a reopen', async (t) => {
    const home = await tempDir(t);
    let db = openDatabase(home);
    let store = new OutboxStore(db, { maxEntries: 4 });
    store.enqueue(entry('m1', 'b'), 100);
    store.enqueue(entry('m2', 'b', { urgency: 'high' }), 101);
    store.enqueue(entry('m3', 'c', { replace: 'k' }), 102);
    assert.deepEqual(store.due(200, 10).map((e) => e.id), ['m2', 'm1', 'm3']);
    // Same Topic, same destination: replaces (and frees its slot first).
    const r = store.enqueue(entry('m4', 'c', { replace: 'k' }), 103);
    assert.equal(r.replacedId, 'm3');
    store.enqueue(entry('m5', 'b', { replace: 'k' }), 104); // same key, other destination: no replacement
    assert.equal(store.depth(), 4);
    assert.throws(() => store.enqueue(entry('m6', 'b'), 105), pushmeshError('ERR_QUEUE_FULL'));
    assert.deepEqual(Object.fromEntries(store.depthByDestination()), { b: 3, c: 1 });
    db.close();

    db = openDatabase(home);
    store = new OutboxStore(db, { maxEntries: 4 });
    assert.equal(store.depth(), 4, 'nothing lost over a reopen');
    assert.deepEqual(store.due(200, 10).map((e) => e.id), ['m2', 'm1', 'm4', 'm5']);
    db.close();
  });

  it('deletes reach the disk in batches, or at flush(); seqs are never reused', async (t) => {
    const home = await tempDir(t);
    let db = openDatabase(home);
    let store = new OutboxStore(db, { maxEntries: 1000 });
    const a = store.enqueue(entry('a', 'x'), 1).seq;
    const b = store.enqueue(entry('b', 'x'), 1).seq;
    store.remove(b);
    assert.equal(store.depth(), 1);
    await new Promise((r) => setImmediate(r));
    store.remove(a);
    store.flush();
    const c = store.enqueue(entry('c', 'x'), 2).seq;
    assert.ok(c > b, 'a removed seq is not handed out again');
    // 512 deletes waiting go to disk at once, in one transaction (a second connection sees them).
    const many = Array.from({ length: 512 }, (_, i) => store.enqueue(entry(`m${i}`, 'y'), 3).seq);
    const reader = openDatabase(home);
    const rows = (): number => (reader.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n;
    assert.equal(rows(), 513);
    for (const seq of many.slice(0, 511)) store.remove(seq);
    assert.equal(rows(), 513, 'fewer than 512 deletes wait');
    store.remove(many[511]!);
    assert.equal(rows(), 1, 'the 512th delete writes them all');
    reader.close();
    db.close();
    db = openDatabase(home);
    store = new OutboxStore(db, { maxEntries: 10 });
    assert.deepEqual(store.due(10, 10).map((e) => e.id), ['c']);
    assert.ok(store.enqueue(entry('d', 'x'), 3).seq > c);
    db.close();
  });

  it('claims, retries, busy destinations, expiry and wake-ups', async (t) => {
    const db = openDatabase(await tempDir(t));
    t.after(() => db.close());
    const store = new OutboxStore(db, { maxEntries: 100 });
    const s1 = store.enqueue(entry('a1', 'a', { expiresAt: 500 }), 100).seq;
    store.enqueue(entry('b1', 'b'), 100);
    store.claim(s1);
    assert.deepEqual(store.due(200, 10).map((e) => e.id), ['b1'], 'a claimed entry is not due');
    assert.deepEqual(store.due(200, 10, ['b']).map((e) => e.id), [], 'busy destinations are left out');
    assert.equal(store.nextAttemptAt(), null, 'nothing waits for a retry');
    assert.deepEqual(store.takeExpired(600), [], 'an entry in flight is left to its attempt');
    store.scheduleRetry(s1, 300, 200);
    assert.equal(store.nextAttemptAt(), 300);
    assert.equal(store.due(250, 10, ['b']).length, 0);
    const retried = store.due(300, 10, ['b']);
    assert.equal(retried[0]!.id, 'a1');
    assert.equal(retried[0]!.attempts, 1);
    assert.deepEqual(retried[0]!.wire, Buffer.from('a1'));
    assert.equal(store.nextExpiryAt(), 500, 'the failed attempt put it back under expiry');
    assert.deepEqual(store.takeExpired(600).map((e) => e.id), ['a1']);
    assert.equal(store.depth(), 1);
    assert.equal(store.nextExpiryAt(), 1_000_000);

    const s2 = store.enqueue(entry('b2', 'b'), 700).seq;
    store.claim(s2);
    store.scheduleRetry(s2, 5000, 700);
    store.wake('b', 800);
    assert.deepEqual(store.due(800, 10).map((e) => e.id).sort(), ['b1', 'b2']);
    store.claim(s2);
    store.wake('b', 850);
    assert.deepEqual(store.due(850, 10).map((e) => e.id), ['b1'], 'wake(dest) leaves attempts in flight alone');
    store.wakeAll(900);
    assert.deepEqual(store.due(900, 10).map((e) => e.id).sort(), ['b1', 'b2'], 'wakeAll (a restart) wakes claimed entries too');
  });

  it('a replaced entry in flight is not brought back; depth follows every change', async (t) => {
    const db = openDatabase(await tempDir(t));
    t.after(() => db.close());
    const store = new OutboxStore(db, { maxEntries: 2 });
    const old = store.enqueue(entry('old', 'a', { replace: 'k' }), 1).seq;
    store.claim(old);
    assert.equal(store.enqueue(entry('new', 'a', { replace: 'k' }), 2).replacedId, 'old');
    store.scheduleRetry(old, 3, 2); // the old attempt ends after the replacement
    assert.deepEqual(store.due(10, 10).map((e) => e.id), ['new']);
    store.remove(old);
    assert.equal(store.depth(), 1);
    store.enqueue(entry('other', 'a'), 3);
    assert.throws(() => store.enqueue(entry('x', 'a'), 4), pushmeshError('ERR_QUEUE_FULL'));
    assert.equal(store.enqueue(entry('newer', 'a', { replace: 'k' }), 5).replacedId, 'new', 'a replacement fits in a full queue');
    assert.deepEqual(Object.fromEntries(store.depthByDestination()), { a: 2 });
  });
});
