/**
 * The destination's duplicate filter outlives a restart of the node:
 * keys are on disk, so a copy a relay retries after the restart does not
 * reach apps again; old keys go after their time and beyond the bound.
 */
import { strict as assert } from 'node:assert';
import { mkdir } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { DedupeCache } from '../../src/node/dedupe.js';
import { openDatabase } from '../../src/store/database.js';
import { tempHome } from '../helpers/temp-dir.js';

describe('DedupeCache on disk', () => {
  it('remembers keys across a reopen of the store, within its time and bound', async (t) => {
    const home = await tempHome(t);
    await mkdir(home, { recursive: true });
    let db = openDatabase(home);
    let cache = new DedupeCache({ db, max: 3, ttlMs: 60_000 });
    for (const k of ['a/1', 'a/2']) assert.equal(cache.check(k), false);
    assert.equal(cache.check('a/1'), true);
    cache.flush();
    db.close();

    db = openDatabase(home);
    cache = new DedupeCache({ db, max: 3, ttlMs: 60_000 });
    assert.equal(cache.check('a/1'), true, 'seen before the restart');
    assert.equal(cache.check('a/2'), true);
    for (const k of ['b/1', 'b/2', 'b/3']) assert.equal(cache.check(k), false);
    cache.flush();
    db.close();

    // Later: the first keys are past their time; only the newest 3 are kept.
    db = openDatabase(home);
    cache = new DedupeCache({ db, max: 3, ttlMs: 60_000, now: Date.now() + 30_000 });
    assert.equal(cache.check('b/3'), true);
    db.close();
    db = openDatabase(home);
    cache = new DedupeCache({ db, max: 3, ttlMs: 60_000, now: Date.now() + 120_000 });
    assert.equal(cache.check('b/3'), false, 'forgotten after its time');
    db.close();
  });
});
