import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { OutboxStore } from '../../src/outbox/outbox-store.js';
import type { NewOutboxEntry } from '../../src/outbox/types.js';
import { StatusStore } from '../../src/status/status-store.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { StorageHealth } from '../../src/store/storage-health.js';
import { turnWriterOf } from '../../src/store/turn-writer.js';
import { pushmeshError } from '../helpers/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * One write transaction per event-loop turn (docs/node.md "One
 * transaction per turn"), against a real database file: what is accepted
 * in one turn is committed together, answered only after the commit, and
 * a failed commit refuses all of it and keeps nothing in memory.
 */

const entry = (id: string, over: Partial<NewOutboxEntry> = {}): NewOutboxEntry => ({
  id,
  dest: 'b',
  replace: null,
  urgency: 'normal',
  expiresAt: 10_000_000,
  wire: Buffer.alloc(200, id),
  ...over,
});

const rows = (db: Db, table: string): number => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

/** Counts the transactions run through `db.transaction` (the TurnWriter's commits) from now on. */
function commitsOf(db: Db): () => number {
  let n = 0;
  const orig = db.transaction.bind(db);
  (db as { transaction: unknown }).transaction = ((fn: (...a: unknown[]) => unknown) => {
    const tx = orig(fn);
    return (...a: unknown[]) => {
      const out = tx(...a);
      n++;
      return out;
    };
  }) as never;
  return () => n;
}

async function setup(t: { after(fn: () => unknown): void }): Promise<{ db: Db; health: StorageHealth; outbox: OutboxStore; status: StatusStore; commits: () => number }> {
  const db = openDatabase(await tempDir(t));
  const commits = commitsOf(db);
  const health = new StorageHealth({ probeMs: 10 });
  const outbox = new OutboxStore(db, { maxEntries: 1000, health });
  const status = new StatusStore(db, { health });
  t.after(() => {
    health.close();
    db.close();
  });
  return { db, health, outbox, status, commits };
}

describe('one write transaction per event-loop turn (TurnWriter)', () => {
  it("a turn's accepted messages and their statuses share one commit; none is due or answered before it", async (t) => {
    const { db, outbox, status, commits } = await setup(t);
    const before = commits();
    const accepted = [];
    for (let i = 0; i < 20; i++) {
      accepted.push(outbox.accept(entry(`m${i}`), 1));
      status.create(`m${i}`, 'b', false, 10_000_000);
    }
    assert.equal(rows(db, 'outbox'), 0, 'nothing written yet');
    assert.deepEqual(outbox.due(2, 100), [], 'nothing due before its commit');
    assert.equal(outbox.depth(), 20, 'but counted');
    const results = await Promise.all(accepted);
    assert.equal(commits() - before, 1, 'one commit for all of them');
    assert.equal(rows(db, 'outbox'), 20);
    assert.equal(rows(db, 'delivery_status'), 20, 'the statuses went with them');
    assert.deepEqual(results.map((r) => r.seq), [...results.map((r) => r.seq)].sort((a, b) => a - b), 'in order');
    assert.deepEqual(outbox.due(2, 100).map((e) => e.id), accepted.map((_, i) => `m${i}`));
  });

  it('a commit that fails refuses every message of its turn (ERR_STORAGE_FULL), keeps none in memory, and gives a Topic back to the message it would have replaced', async (t) => {
    const { db, health, outbox } = await setup(t);
    const old = await outbox.accept(entry('old', { replace: 'k' }), 1);
    db.pragma('query_only = 1');
    const a = outbox.accept(entry('a', { replace: 'k' }), 2);
    const b = outbox.accept(entry('b', { replace: 'k' }), 2); // replaces a, in the same turn
    const c = outbox.accept(entry('c'), 2);
    await assert.rejects(a, pushmeshError('ERR_STORAGE_FULL'));
    await assert.rejects(b, pushmeshError('ERR_STORAGE_FULL'));
    await assert.rejects(c, pushmeshError('ERR_STORAGE_FULL'));
    assert.equal(health.writable, false);
    assert.equal(outbox.depth(), 1);
    db.pragma('query_only = 0');
    const again = await outbox.accept(entry('new', { replace: 'k' }), 3);
    assert.equal(again.replacedId, 'old', 'the Topic still pointed at the committed message');
    assert.equal(old.replacedId, null);
    assert.deepEqual(outbox.due(4, 10).map((e) => e.id), ['new']);
    assert.equal(rows(db, 'outbox'), 1);
  });

  it('a message replaced by a later one of the same turn is accepted, never due, and reported as replaced', async (t) => {
    const { db, outbox } = await setup(t);
    const first = outbox.accept(entry('k1', { replace: 'k' }), 1);
    const second = outbox.accept(entry('k2', { replace: 'k' }), 1);
    assert.equal(outbox.depth(), 1);
    const [r1, r2] = await Promise.all([first, second]);
    assert.equal(r1.replacedId, null);
    assert.equal(r2.replacedId, 'k1');
    assert.deepEqual(outbox.due(2, 10).map((e) => e.id), ['k2']);
    assert.deepEqual(db.prepare('SELECT id FROM outbox').all(), [{ id: 'k2' }]);
    assert.equal(outbox.queuedBytes, 200);
  });

  it('status changes need no read-back and reach the disk with the next commit (within 10 ms); the oldest are trimmed in order of their last change', async (t) => {
    const db = openDatabase(await tempDir(t));
    t.after(() => db.close());
    const status = new StatusStore(db, { maxEntries: 5 });
    for (let i = 0; i < 1000; i++) status.create(`s${i}`, 'b', false, 1);
    status.update('s0', 'sent'); // the oldest created, now the most recently changed
    assert.equal(status.get('s0')?.state, 'sent');
    turnWriterOf(db).flush();
    assert.equal(status.pendingWrites, 0);
    assert.deepEqual(
      (db.prepare('SELECT id FROM delivery_status ORDER BY rowid').all() as { id: string }[]).map((r) => r.id),
      ['s996', 's997', 's998', 's999', 's0'],
    );
    assert.equal(status.get('s0')?.state, 'sent');
    assert.equal(status.get('s1'), undefined);
  });
});
