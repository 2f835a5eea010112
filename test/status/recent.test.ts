import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { openDatabase } from '../../src/store/database.js';
import { StatusStore } from '../../src/status/status-store.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Waits (bounded) until every status is on disk. */
async function written(store: StatusStore): Promise<void> {
  const end = Date.now() + 10_000;
  while (store.pendingWrites > 0) {
    assert.ok(Date.now() < end, 'statuses never written');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('StatusStore.recent (GET /statuses)', () => {
  it('lists the most recently changed statuses newest first, before and after their write, and after a restart', async (t) => {
    const home = await tempDir(t);
    let db = openDatabase(home);
    let store = new StatusStore(db);
    for (const id of ['m1', 'm2', 'm3', 'm4']) store.create(id, 'dest', false, Date.now() + 60_000);
    assert.deepEqual(store.recent(10).map((s) => s.id), ['m4', 'm3', 'm2', 'm1'], 'pending, newest first');
    await written(store);
    store.update('m2', 'sent');
    // m2 changed last (pending), then the written ones.
    assert.deepEqual(store.recent(10).map((s) => `${s.id}:${s.state}`), ['m2:sent', 'm4:queued', 'm3:queued', 'm1:queued']);
    assert.deepEqual(store.recent(2).map((s) => s.id), ['m2', 'm4']);
    assert.deepEqual(store.recent(0), []);
    await written(store);
    store.update('m1', 'rejected', 'no route');
    await written(store);
    const before = store.recent(10);
    assert.deepEqual(before.map((s) => s.id), ['m1', 'm2', 'm4', 'm3']);
    assert.deepEqual(before[0], { id: 'm1', to: 'dest', state: 'rejected', reason: 'no route', receipt: false, updated: before[0]!.updated });
    db.close();

    // A restart: nothing in memory, the same list from disk.
    db = openDatabase(home);
    t.after(() => db.close());
    store = new StatusStore(db);
    assert.deepEqual(store.recent(10), before);
    assert.deepEqual(store.recent(3).map((s) => s.id), ['m1', 'm2', 'm4']);
    store.create('m5', 'dest', true, Date.now() + 60_000);
    assert.deepEqual(store.recent(3).map((s) => s.id), ['m5', 'm1', 'm2']);
  });
});
