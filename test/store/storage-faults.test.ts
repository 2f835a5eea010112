import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { PushmeshError } from '../../src/errors/index.js';
import { httpStatusOf, retryAfterOf } from '../../src/errors/http-status.js';
import { RefusalLog } from '../../src/errors/refusal-log.js';
import { OutboxStore } from '../../src/outbox/outbox-store.js';
import type { NewOutboxEntry } from '../../src/outbox/types.js';
import { NACK_CODES, nackReasonForError } from '../../src/proto/status.js';
import { SqliteAttachmentStore } from '../../src/routing/sqlite-attachment-store.js';
import { StatusStore } from '../../src/status/status-store.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { StorageHealth, storageHealthOf } from '../../src/store/storage-health.js';
import { outcomeOfHttp } from '../../src/transport/https/nack-error.js';
import { pushmeshError } from '../helpers/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * The stores' write paths against a real SQLITE_FULL (PRAGMA max_page_count
 * on a real database: the file may not grow) and a store that refuses every
 * write (PRAGMA query_only: SQLITE_READONLY, as a disk with no room at all
 * refuses even deletes). docs/node.md "A full disk".
 */

const entry = (id: string, dest: string, over: Partial<NewOutboxEntry> = {}): NewOutboxEntry => ({
  id,
  dest,
  replace: null,
  urgency: 'normal',
  expiresAt: 10_000_000,
  wire: Buffer.alloc(3000, id),
  ...over,
});

/** The database may not grow past its current size: the next write that needs a page fails with SQLITE_FULL. */
function capSize(db: Db): void {
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.pragma(`max_page_count = ${pages}`);
}

function uncap(db: Db): void {
  db.pragma('max_page_count = 1073741823');
}

/** Every write fails (SQLITE_READONLY) until `writable(db)`. */
function refuseWrites(db: Db): void {
  db.pragma('query_only = 1');
}

function allowWrites(db: Db): void {
  db.pragma('query_only = 0');
}

/** Resolves when the store takes writes (again) or, with `false`, once a write failed (the probe's and the commits' timers are unref'd: a ref'd guard keeps the test's event loop alive, and fails it after 10 s). */
async function untilWritable(health: StorageHealth, writable = true): Promise<void> {
  const guard = new AbortController();
  const timer = setTimeout(() => guard.abort(new Error(`the store's writable state did not become ${writable} within 10 s`)), 10_000);
  try {
    while (health.writable !== writable) await once(health, 'change', { signal: guard.signal });
  } finally {
    clearTimeout(timer);
  }
}

const rows = (db: Db, table: string): number => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

async function store(t: { after(fn: () => unknown): void }): Promise<{ db: Db; health: StorageHealth }> {
  const db = openDatabase(await tempDir(t));
  const health = new StorageHealth({ probeMs: 10 });
  t.after(() => {
    health.close();
    db.close();
  });
  return { db, health };
}

describe('store write faults: answers, not crashes', () => {
  it('outbox: an insert that hits SQLITE_FULL is ERR_STORAGE_FULL (cause kept), changes nothing, and works again once there is room', async (t) => {
    const { db, health } = await store(t);
    const outbox = new OutboxStore(db, { maxEntries: 1000, health });
    outbox.enqueue(entry('a', 'b'), 1);
    capSize(db);
    let err: unknown;
    for (let i = 0; i < 100 && err === undefined; i++) {
      try {
        outbox.enqueue(entry(`m${i}`, 'b'), 2);
      } catch (e) {
        err = e;
      }
    }
    assert.ok(err instanceof PushmeshError, 'refused');
    assert.equal(err.code, 'ERR_STORAGE_FULL');
    assert.equal((err.cause as { code?: string }).code, 'SQLITE_FULL');
    assert.equal(health.writable, false);
    const depth = outbox.depth();
    assert.equal(rows(db, 'outbox'), depth, 'memory and disk agree');
    assert.throws(() => outbox.enqueue(entry('x', 'b'), 3), pushmeshError('ERR_STORAGE_FULL'));
    assert.equal(outbox.depth(), depth);
    uncap(db);
    outbox.enqueue(entry('y', 'b'), 4);
    assert.equal(health.writable, true, 'the next write that succeeds ends the state');
    assert.equal(rows(db, 'outbox'), depth + 1);
  });

  it('outbox: deletes, retries and expiries while no write succeeds never throw (timers included), keep memory moving, and reach the disk once writes work again', async (t) => {
    const { db, health } = await store(t);
    const failures: unknown[] = [];
    const onUncaught = (e: unknown): void => void failures.push(e);
    process.on('uncaughtException', onUncaught);
    t.after(() => process.off('uncaughtException', onUncaught));
    const outbox = new OutboxStore(db, { maxEntries: 1000, health });
    for (const id of ['d1', 'd2', 'r1', 'x1']) outbox.enqueue(entry(id, id === 'x1' ? 'c' : 'b', id === 'x1' ? { expiresAt: 50 } : {}), 10);
    const due = outbox.due(20, 10, [], () => 10);
    for (const e of due) if (e.id !== 'x1') outbox.claim(e.seq);
    refuseWrites(db);
    const byId = new Map(due.map((e) => [e.id, e]));
    outbox.remove(byId.get('d1')!.seq);
    outbox.remove(byId.get('d2')!.seq);
    // The batched delete's timer runs (10 ms) and fails: no exception escapes.
    await new Promise<void>((resolve) => setTimeout(resolve, 30));
    assert.equal(health.writable, false);
    // Expiry while writes fail: taken from memory, reported, deleted later.
    assert.deepEqual(outbox.takeExpired(60).map((e) => e.id), ['x1']);
    // A retry that cannot be written still frees the entry: due again at its time, not stuck "in delivery".
    outbox.scheduleRetry(byId.get('r1')!.seq, 1000, 30);
    assert.deepEqual(outbox.due(999, 10).map((e) => e.id), []);
    assert.deepEqual(outbox.due(1000, 10).map((e) => e.id), ['r1']);
    assert.equal(outbox.depth(), 1);
    assert.equal(rows(db, 'outbox'), 4, 'the disk still has them all (a crash now sends d1/d2 again: the receiver drops copies)');
    allowWrites(db);
    await untilWritable(health);
    assert.equal(rows(db, 'outbox'), 1, 'pending deletes written by the probe, without new work');
    assert.deepEqual(db.prepare('SELECT id, attempts, next_attempt_at AS at FROM outbox').all(), [{ id: 'r1', attempts: 1, at: 1000 }]);
    assert.deepEqual(failures, []);
  });

  it('outbox: bounded in bytes as well as messages (limits.maxQueuedBytes), a Topic replacement frees its bytes, the count survives a reopen', async (t) => {
    const home = await tempDir(t);
    let db = openDatabase(home);
    let outbox = new OutboxStore(db, { maxEntries: 1000, maxBytes: 10_000, health: new StorageHealth() });
    outbox.enqueue(entry('a', 'b'), 1);
    outbox.enqueue(entry('k1', 'b', { replace: 'k' }), 2);
    outbox.enqueue(entry('c', 'b'), 3);
    assert.equal(outbox.queuedBytes, 9000);
    assert.throws(() => outbox.enqueue(entry('d', 'b'), 4), pushmeshError('ERR_QUEUE_FULL', /10000 bytes/));
    assert.equal(outbox.enqueue(entry('k2', 'b', { replace: 'k' }), 5).replacedId, 'k1', 'a replacement fits in the bytes it frees');
    outbox.enqueue(entry('small', 'b', { wire: Buffer.alloc(1000) }), 6);
    assert.equal(outbox.queuedBytes, 10_000);
    db.close();
    db = openDatabase(home);
    t.after(() => db.close());
    outbox = new OutboxStore(db, { maxEntries: 1000, maxBytes: 10_000, health: new StorageHealth() });
    assert.equal(outbox.queuedBytes, 10_000);
    assert.throws(() => outbox.enqueue(entry('e', 'b', { wire: Buffer.alloc(1) }), 7), pushmeshError('ERR_QUEUE_FULL'));
  });

  it('delivery status: a write that fails is kept in memory, answered from there, and written when the store takes writes again', async (t) => {
    const { db, health } = await store(t);
    const status = new StatusStore(db, { health });
    status.create('m1', 'b', true, 5000);
    refuseWrites(db);
    assert.doesNotThrow(() => status.create('m2', 'b', true, 6000));
    assert.equal(status.update('m1', 'sent')?.state, 'sent');
    assert.equal(status.get('m2')?.state, 'queued');
    assert.equal(status.get('m1')?.state, 'sent');
    assert.deepEqual(status.awaitingReceipts().map((r) => r.id).sort(), ['m1', 'm2']);
    assert.equal(status.update('m2', 'delivered')?.state, 'delivered');
    assert.equal(status.pendingWrites, 2);
    await untilWritable(health, false); // the statuses' commit (within 10 ms) failed
    assert.equal(status.pendingWrites, 2, 'kept in memory');
    assert.equal(status.get('m1')?.state, 'sent', 'and answered from there');
    allowWrites(db);
    await untilWritable(health);
    assert.equal(status.pendingWrites, 0);
    assert.deepEqual(db.prepare('SELECT id, state, expires FROM delivery_status ORDER BY id').all(), [
      { id: 'm1', state: 'sent', expires: 5000 },
      { id: 'm2', state: 'delivered', expires: 6000 },
    ]);
  });

  it('route attachments: save/remove/load never throw on a store that refuses writes; the latest of each is written later', async (t) => {
    const { db, health } = await store(t);
    const att = new SqliteAttachmentStore(db, { health });
    const a = (node: string, expires: number) => ({ node, relay: 'r', expires, publicKey: new Uint8Array([1]), signature: new Uint8Array([2]) });
    att.save(a('n1', 100));
    att.save(a('old', 5));
    refuseWrites(db);
    assert.deepEqual(att.load(10).map((x) => x.node), ['n1'], 'an expired row left on disk is left out');
    att.save(a('n2', 200));
    att.remove('n1');
    att.save(a('n2', 300));
    assert.equal(att.pendingWrites, 2);
    allowWrites(db);
    await untilWritable(health);
    assert.deepEqual(att.load(10).map((x) => [x.node, x.expires]), [['n2', 300]]);
  });

  it('signed config store: a config is kept in memory only once it is on disk; ERR_STORAGE_FULL otherwise', async (t) => {
    const { db, health } = await store(t);
    // ConfigStore.offer takes a verified config; its write path is the upsert: the same StorageHealth wraps it.
    const { ConfigStore } = await import('../../src/signed-config/config-store.js');
    const cs = new ConfigStore(db, { health });
    const verified = (version: number) =>
      ({ payload: { namespace: 'app', name: 'settings', version, data: {} }, owner: 'o'.repeat(52), jws: `h.p${version}.s`, payloadSegment: `p${version}` }) as never;
    assert.equal(cs.offer(verified(1), 1).status, 'accepted');
    refuseWrites(db);
    assert.throws(() => cs.offer(verified(2), 2), pushmeshError('ERR_STORAGE_FULL'));
    assert.equal(cs.get('app', 'settings')?.version, 1, 'memory unchanged');
    cs.remove('app', 'settings');
    assert.equal(cs.get('app', 'settings'), undefined, 'a removal takes effect in memory at once');
    allowWrites(db);
    await untilWritable(health);
    assert.equal(rows(db, 'signed_configs'), 0, 'and on disk once writes work');
  });

  it('refusals are logged once per interval per reason, with how many were left out, and no stack', () => {
    const lines: Array<[Record<string, unknown>, string]> = [];
    const logger = { warn: (f: Record<string, unknown>, m: string) => void lines.push([f, m]) } as never;
    let now = 0;
    const log = new RefusalLog(logger, { intervalMs: 10_000, now: () => now });
    for (let i = 0; i < 50; i++) log.note('warn', 'ERR_STORAGE_FULL', 'refusing');
    log.note('warn', 'ERR_QUEUE_FULL', 'refusing');
    now = 10_000;
    log.note('warn', 'ERR_STORAGE_FULL', 'refusing');
    assert.deepEqual(lines.map(([f]) => [f['reason'], f['suppressed']]), [['ERR_STORAGE_FULL', undefined], ['ERR_QUEUE_FULL', undefined], ['ERR_STORAGE_FULL', 49]]);
  });

  it('one store health per database, shared by its stores by default: a delete that failed is written by its probe (a WAL checkpoint first, then the pending writes)', async (t) => {
    const db = openDatabase(await tempDir(t));
    t.after(() => db.close());
    const health = storageHealthOf(db);
    t.after(() => health.close());
    assert.equal(storageHealthOf(db), health, 'one per database');
    const outbox = new OutboxStore(db, { maxEntries: 1000 });
    for (let i = 0; i < 20; i++) outbox.enqueue(entry(`w${i}`, 'b'), 1);
    const walFrames = (): number => (db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log;
    assert.ok(walFrames() > 0);
    db.exec('CREATE TABLE filler (x)'); // a write after the checkpoint above: the WAL has frames again
    refuseWrites(db);
    outbox.remove(outbox.due(2, 1)[0]!.seq);
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
    allowWrites(db);
    const guard = setTimeout(() => undefined, 10_000);
    try {
      while (!health.writable) await once(health, 'change');
    } finally {
      clearTimeout(guard);
    }
    assert.equal(rows(db, 'outbox'), 19);
  });

  it('errors map to statuses in one place: 507 on the local API, 503 + Retry-After on /push, NACK storage_full (RESOURCE_EXHAUSTED) on links', () => {
    const err = new PushmeshError('ERR_STORAGE_FULL', 'disk full');
    assert.equal(httpStatusOf(err.code, 'local'), 507);
    assert.equal(httpStatusOf(err.code, 'push'), 503);
    assert.equal(retryAfterOf(err.code), 5);
    assert.equal(httpStatusOf('ERR_QUEUE_FULL', 'local'), 503);
    assert.equal(nackReasonForError(err), 'storage_full');
    assert.equal(NACK_CODES.storage_full, 8);
    assert.deepEqual(outcomeOfHttp(503, 'storage_full'), { ok: false, reason: 'storage_full' });
    assert.deepEqual(outcomeOfHttp(507, undefined), { ok: false, reason: 'storage_full' });
  });
});
