/**
 * What a node holds for its apps (HeldStore, with a real SQLite file): a
 * message added is on disk when `add` resolves, stays within its TTL and
 * the bounds (oldest dropped first, counted), is read back after a
 * restart with its seq, and a failed write rejects the waiting sender
 * (so it is not acknowledged) without breaking the store.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { HeldStore } from '../../src/bus/held-store.js';
import { LocalBus } from '../../src/bus/local-bus.js';
import type { Message } from '../../src/message/types.js';
import { openDatabase } from '../../src/store/database.js';
import { tempDir } from '../helpers/temp-dir.js';

const T0 = 1_800_000_000_000;
function msg(n: number, over: Partial<Message> = {}): Message {
  return { id: `m${n}`, from: 'a'.repeat(52), to: 'b'.repeat(52), topic: 't', time: T0 + n, ttl: 600, urgency: 'normal', meta: { n: String(n) }, data: { kind: 'json', value: { n } }, ...over };
}
const limits = { maxMessages: 100, maxBytes: 1 << 20, maxPerTopic: 100 };

describe('HeldStore', () => {
  it('resolves add once the row is committed; a restart reads every message back, bytes included, with its seq', async (t) => {
    const dir = await tempDir(t);
    let db = openDatabase(dir);
    let now = T0;
    const a = new HeldStore({ db, ...limits, now: () => now });
    const bytes = Buffer.from([0, 1, 2, 255]);
    await Promise.all([a.add({ seq: 10, message: msg(1) }), a.add({ seq: 11, message: msg(2, { data: { kind: 'bytes', value: bytes }, path: ['r'.repeat(52)] }) })]);
    assert.equal((db.prepare('SELECT count(*) AS n FROM app_inbox').get() as { n: number }).n, 2);
    db.close(); // no flush on close: what add resolved is on disk already
    db = openDatabase(dir);
    const b = new HeldStore({ db, ...limits, now: () => now });
    const back = b.filter(() => true);
    assert.deepEqual(back.map((e) => e.seq), [10, 11]);
    assert.deepEqual(back[1]!.message.data, { kind: 'bytes', value: bytes });
    assert.deepEqual(back[1]!.message.path, ['r'.repeat(52)]);
    assert.equal(b.maxSeq, 11);
    // Past the TTL: not handed out, and gone from disk at the next start.
    now = T0 + 601_000;
    assert.deepEqual(b.filter(() => true), []);
    db.close();
    db = openDatabase(dir);
    new HeldStore({ db, ...limits, now: () => now });
    assert.equal((db.prepare('SELECT count(*) AS n FROM app_inbox').get() as { n: number }).n, 0);
    db.close();
  });

  it('stays within the bounds, oldest first: in all, in bytes and per topic; drops are counted', async (t) => {
    const dir = await tempDir(t);
    const db = openDatabase(dir);
    const dropped: Record<string, number> = {};
    const s = new HeldStore({ db, maxMessages: 5, maxBytes: 1 << 20, maxPerTopic: 3, now: () => T0, onDropped: (r, n) => (dropped[r] = (dropped[r] ?? 0) + n) });
    for (let i = 1; i <= 4; i++) await s.add({ seq: i, message: msg(i, { topic: 'busy' }) });
    await s.add({ seq: 5, message: msg(5, { topic: 'quiet' }) });
    assert.deepEqual(s.filter(() => true).map((e) => e.seq), [2, 3, 4, 5], 'per topic: busy keeps its newest 3');
    for (let i = 6; i <= 8; i++) await s.add({ seq: i, message: msg(i, { topic: `other${i}` }) });
    assert.deepEqual(s.filter(() => true).map((e) => e.seq), [4, 5, 6, 7, 8], 'in all: the oldest go');
    assert.equal(dropped['limit'], 3);
    assert.equal((db.prepare('SELECT count(*) AS n FROM app_inbox').get() as { n: number }).n, 5);
    const small = new HeldStore({ maxMessages: 100, maxBytes: 600, maxPerTopic: 100, now: () => T0 });
    for (let i = 1; i <= 10; i++) await small.add({ seq: i, message: msg(i, { data: { kind: 'text', value: 'x'.repeat(100) } }) });
    assert.ok(small.bytes <= 600 && small.count < 10 && small.count > 0);
    db.close();
  });

  it('a write that fails (disk full) rejects the waiting adds with ERR_STORAGE_FULL and forgets them; later writes go through', async (t) => {
    const dir = await tempDir(t);
    const db = openDatabase(dir);
    const errors: unknown[] = [];
    const s = new HeldStore({ db, ...limits, now: () => T0, onError: (e) => errors.push(e) });
    await s.add({ seq: 1, message: msg(1) });
    const pages = (db.pragma('page_count', { simple: true }) as number) + 0;
    db.pragma(`max_page_count = ${pages}`);
    const big = msg(2, { data: { kind: 'text', value: 'y'.repeat(200_000) } });
    await assert.rejects(s.add({ seq: 2, message: big }), (e: unknown) => (e as { code?: string }).code === 'ERR_STORAGE_FULL');
    assert.equal(errors.length, 1);
    assert.deepEqual(s.filter(() => true).map((e) => e.seq), [1]);
    db.pragma('max_page_count = 1073741823');
    await s.add({ seq: 3, message: msg(3) });
    assert.deepEqual(s.filter(() => true).map((e) => e.seq), [1, 3]);
    db.close();
  });

  it('LocalBus.deliver hands a message out only once it is held, in seq order; a subscriber replaying while it is stored gets it once', async (t) => {
    const dir = await tempDir(t);
    const db = openDatabase(dir);
    const bus = new LocalBus({ subscriberBuffer: 100, store: new HeldStore({ db, ...limits }) });
    const seen: number[] = [];
    bus.on('published', (ev) => seen.push(ev.seq));
    const p1 = bus.deliver(msg(1, { time: Date.now() }));
    const p2 = bus.deliver(msg(2, { time: Date.now() }));
    assert.deepEqual(seen, [], 'not before it is on disk');
    const sub = bus.subscribe(null, { after: 0 }); // replays what is already held (both), then gets them live: once each
    const [e1, e2] = await Promise.all([p1, p2]);
    assert.deepEqual(seen, [e1.seq, e2.seq]);
    const got: number[] = [];
    for await (const ev of sub) {
      got.push(ev.seq);
      if (got.length === 2) break;
    }
    assert.deepEqual(got, [e1.seq, e2.seq]);
    bus.close();
    db.close();
  });
});
