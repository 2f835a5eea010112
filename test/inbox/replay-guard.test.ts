/**
 * ReplayGuard: duplicates, the time window, per-sender floors, the global
 * bound (the flooder pays; throwaway keys raise forgottenFloor), state on
 * disk across restarts, and disk-full writes reported, never thrown.
 */
import { strict as assert } from 'node:assert';
import { mkdir } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { ReplayGuard, type ReplayGuardOptions } from '../../src/inbox/replay-guard.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { tempHome } from '../helpers/temp-dir.js';

const WINDOW = 60_000;
const SKEW = 5_000;
const T0 = 1_700_000_000_000;

/** A guard on a clock the test moves. */
function guard(opts: ReplayGuardOptions = {}): { g: ReplayGuard; clock: { now: number } } {
  const clock = { now: T0 };
  const g = new ReplayGuard({ windowMs: WINDOW, futureSkewMs: SKEW, now: () => clock.now, ...opts });
  return { g, clock };
}

const reason = (v: ReturnType<ReplayGuard['check']>): string => (v.ok ? 'ok' : v.reason);

async function homeDb(t: { after(fn: () => unknown): void }): Promise<{ home: string; open: () => Db }> {
  const home = await tempHome(t);
  await mkdir(home, { recursive: true });
  return { home, open: () => openDatabase(home) };
}

describe('ReplayGuard verdicts', () => {
  it('accepts a message once; its copy is a duplicate, from that sender only', () => {
    const { g } = guard();
    assert.equal(reason(g.check('A', 'm1', T0)), 'ok');
    assert.equal(reason(g.check('A', 'm1', T0)), 'duplicate');
    assert.equal(reason(g.check('A', 'm1', T0 - 1)), 'duplicate', 'the id is the key');
    assert.equal(reason(g.check('B', 'm1', T0)), 'ok', 'another sender may use the same id');
    assert.equal(g.size, 2);
    assert.equal(g.senders, 2);
    assert.equal(g.held('A'), 1);
    assert.equal(g.held('nobody'), 0);
  });

  it('window boundaries: now - windowMs is in, one ms older is stale; now + skew is in, one ms later is future', () => {
    const { g } = guard();
    assert.equal(reason(g.check('A', 'old-in', T0 - WINDOW)), 'ok');
    assert.equal(reason(g.check('A', 'old-out', T0 - WINDOW - 1)), 'stale');
    assert.equal(reason(g.check('A', 'new-in', T0 + SKEW)), 'ok');
    assert.equal(reason(g.check('A', 'new-out', T0 + SKEW + 1)), 'future');
    assert.equal(reason(g.check('A', 'nan', Number.NaN)), 'stale');
    assert.equal(g.size, 2, 'refused messages are not recorded');
  });

  it('an entry leaves once it is older than the window; its replay is then stale', () => {
    const { g, clock } = guard();
    g.check('A', 'm1', T0);
    g.check('B', 'm1', T0 + 1000);
    clock.now = T0 + WINDOW + 1; // A's entry just left the window, B's not
    assert.equal(reason(g.check('A', 'm1', T0)), 'stale');
    assert.equal(reason(g.check('A', 'm2', clock.now)), 'ok');
    assert.equal(g.held('A'), 1, 'm1 pruned when its sender was checked');
    assert.equal(reason(g.check('B', 'm1', T0 + 1000)), 'duplicate');
    clock.now = T0 + 10 * WINDOW;
    g.check('C', 'x', clock.now); // the sweep visits other tables
    assert.equal(g.size, 1);
    assert.equal(g.senders, 1);
    assert.equal(g.held('C'), 1);
  });

  it('per-sender eviction: the oldest entry goes, the floor rises to its time, later messages still pass', () => {
    const { g } = guard({ maxPerSender: 3 });
    for (const [id, time] of [['b', T0 - 20], ['a', T0 - 30], ['c', T0 - 10]] as const) assert.equal(reason(g.check('A', id, time)), 'ok');
    g.check('Other', 'o', T0 - 40);
    assert.equal(reason(g.check('A', 'd', T0)), 'ok');
    assert.equal(g.held('A'), 3);
    assert.equal(reason(g.check('A', 'a', T0 - 30)), 'stale', 'replay of the evicted (oldest) entry');
    assert.equal(reason(g.check('A', 'late', T0 - 30)), 'stale', 'a late message at the floor is refused');
    assert.equal(reason(g.check('A', 'late2', T0 - 29)), 'ok', 'above the floor is fine');
    assert.equal(reason(g.check('A', 'late2', T0 - 29)), 'stale', 'itself the oldest, evicted at once: the floor is now T0-29');
    assert.equal(reason(g.check('A', 'b', T0 - 20)), 'duplicate');
    assert.equal(reason(g.check('A', 'e', T0 + 1)), 'ok');
    assert.equal(reason(g.check('A', 'b', T0 - 20)), 'stale', 'evicted next');
    assert.equal(reason(g.check('A', 'c', T0 - 10)), 'duplicate');
    assert.equal(g.held('Other'), 1, "another sender's entries stay");
    assert.equal(reason(g.check('Other', 'o', T0 - 40)), 'duplicate');
  });

  it('over maxTotal, the sender holding the most entries pays', () => {
    const { g } = guard({ maxTotal: 10, maxPerSender: 100 });
    for (let i = 0; i < 3; i++) g.check('honest', `h${i}`, T0 - 1000 + i);
    g.check('quiet', 'q', T0 - 2000);
    for (let i = 0; i < 500; i++) assert.equal(reason(g.check('flooder', `f${i}`, T0 - 500 + i)), 'ok');
    assert.equal(g.size, 10);
    assert.equal(g.held('honest'), 3);
    assert.equal(g.held('quiet'), 1);
    assert.equal(g.held('flooder'), 6);
    for (let i = 0; i < 3; i++) assert.equal(reason(g.check('honest', `h${i}`, T0 - 1000 + i)), 'duplicate');
    assert.equal(reason(g.check('quiet', 'q', T0 - 2000)), 'duplicate');
    assert.equal(reason(g.check('flooder', 'f0', T0 - 500)), 'stale', "the flooder's replays hit its floor");
    assert.equal(reason(g.check('flooder', 'f499', T0 - 1)), 'duplicate');
  });

  it('a throwaway-key flood forgets whole senders, oldest created first, and raises forgottenFloor', () => {
    const { g } = guard({ maxTotal: 5 });
    for (let i = 0; i < 20; i++) assert.equal(reason(g.check(`k${i}`, 'm', T0 - 100 + i)), 'ok');
    assert.equal(g.size, 5);
    assert.equal(g.senders, 5);
    for (let i = 15; i < 20; i++) assert.equal(g.held(`k${i}`), 1, `k${i} kept`);
    // k14 (time T0-86) was forgotten last: forgottenFloor = T0-86.
    assert.equal(reason(g.check('k0', 'm', T0 - 100)), 'stale', 'a replay from a forgotten sender is refused');
    assert.equal(reason(g.check('k14', 'm', T0 - 86)), 'stale');
    assert.equal(reason(g.check('new', 'late', T0 - 86)), 'stale', 'a sender without a table starts at forgottenFloor');
    assert.equal(reason(g.check('new', 'fresh', T0 - 85)), 'ok');
  });

  it('under a throwaway-key flood the busiest sender is the largest: it loses its oldest entries, then its table; never accepts a replay', () => {
    const { g } = guard({ maxTotal: 6 });
    for (let i = 0; i < 4; i++) g.check('busy', `b${i}`, T0 - 100 + i);
    for (let i = 0; i < 5; i++) g.check(`throwaway${i}`, 'm', T0 - 50 + i);
    assert.equal(g.size, 6);
    assert.equal(g.held('busy'), 1, 'the largest paid until it held one entry');
    assert.equal(reason(g.check('busy', 'b3', T0 - 97)), 'duplicate', 'its newest entry stays longest');
    for (let i = 0; i < 3; i++) assert.equal(reason(g.check('busy', `b${i}`, T0 - 100 + i)), 'stale');
    g.check('throwaway5', 'm', T0 - 45);
    assert.equal(g.held('busy'), 0, 'all hold one: the least recently created table goes');
    for (let i = 0; i < 4; i++) assert.equal(reason(g.check('busy', `b${i}`, T0 - 100 + i)), 'stale');
  });

  it('refuses an empty sender and impossible options', () => {
    const { g } = guard();
    assert.throws(() => g.check('', 'm', T0), { code: 'ERR_BAD_ARGUMENT' });
    assert.throws(() => new ReplayGuard({ maxTotal: 0 }), { code: 'ERR_BAD_ARGUMENT' });
    assert.throws(() => new ReplayGuard({ windowMs: Number.NaN }), { code: 'ERR_BAD_ARGUMENT' });
  });
});

describe('ReplayGuard on disk', () => {
  it('a restart on a real SQLite file keeps verdicts, floors and forgottenFloor', async (t) => {
    const { open } = await homeDb(t);
    let db = open();
    db.exec("CREATE TABLE seen_messages (key TEXT PRIMARY KEY, at INTEGER NOT NULL); INSERT INTO seen_messages VALUES ('A/x', 1)");
    const clock = { now: T0 };
    const opts = { windowMs: WINDOW, futureSkewMs: SKEW, maxPerSender: 3, maxTotal: 6, now: () => clock.now };
    let g = new ReplayGuard({ ...opts, db });
    assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'seen_messages'").pluck().get(), 0, 'legacy table dropped');
    for (let i = 0; i < 3; i++) g.check(`k${i}`, 'm', T0 - 50 + i);
    for (let i = 0; i < 5; i++) g.check('A', `a${i}`, T0 - 100 + i); // over maxPerSender: A's floor T0-99
    for (let i = 3; i < 7; i++) g.check(`k${i}`, 'm', T0 - 50 + i); // A pays down to 1 entry (floor T0-97), then k0 and k1 go whole: forgotten T0-49
    assert.equal(g.held('A'), 1);
    const before = { size: g.size, senders: g.senders };
    await new Promise((r) => setImmediate(r)); // the batching timer writes
    g.close();
    db.close();

    db = open();
    clock.now = T0 + 1000;
    g = new ReplayGuard({ ...opts, db });
    assert.deepEqual({ size: g.size, senders: g.senders }, before);
    assert.equal(reason(g.check('A', 'a4', T0 - 96)), 'duplicate');
    assert.equal(reason(g.check('A', 'a0', T0 - 100)), 'stale');
    assert.equal(reason(g.check('A', 'a3', T0 - 97)), 'stale', 'floor raised by the global bound, kept');
    assert.equal(reason(g.check('k5', 'm', T0 - 45)), 'duplicate');
    assert.equal(reason(g.check('k1', 'm', T0 - 49)), 'stale', 'forgottenFloor kept');
    assert.equal(reason(g.check('fresh', 'm', T0 - 49)), 'stale');
    g.close();
    db.close();

    // Past the window everything is forgotten, on disk too.
    db = open();
    clock.now = T0 + WINDOW + 1000;
    g = new ReplayGuard({ ...opts, db });
    assert.equal(g.size, 0);
    assert.equal(db.prepare('SELECT count(*) FROM replay_seen').pluck().get(), 0);
    assert.equal(reason(g.check('A', 'a4', T0 - 96)), 'stale');
    g.close();
    db.close();
  });

  it('a sender forgotten and back keeps the floor it restarted from, across a restart', async (t) => {
    const { open } = await homeDb(t);
    let db = open();
    const opts = { windowMs: WINDOW, now: () => T0, maxTotal: 2 };
    let g = new ReplayGuard({ ...opts, db });
    g.check('A', 'a1', T0 - 100);
    g.check('B', 'b1', T0 - 90);
    g.check('C', 'c1', T0 - 80); // all hold one: A (oldest created) forgotten, forgottenFloor T0-100
    assert.equal(g.held('A'), 0);
    assert.equal(reason(g.check('A', 'a2', T0 - 50)), 'ok', 'A back: a new table starting at T0-100; B forgotten');
    assert.equal(reason(g.check('A', 'a1', T0 - 100)), 'stale');
    g.close();
    db.close();
    db = open();
    g = new ReplayGuard({ ...opts, db });
    assert.equal(g.held('A'), 1);
    assert.equal(reason(g.check('A', 'a1', T0 - 100)), 'stale', 'the starting floor is not stored; the load starts A at min(forgottenFloor, its oldest)');
    assert.equal(reason(g.check('A', 'a2', T0 - 50)), 'duplicate');
    assert.equal(reason(g.check('A', 'a3', T0 - 60)), 'ok', 'above forgottenFloor (T0-90)');
    g.close();
    db.close();
  });

  it('loading applies smaller bounds, raising floors as eviction does', async (t) => {
    const { open } = await homeDb(t);
    let db = open();
    const now = (): number => T0;
    let g = new ReplayGuard({ db, windowMs: WINDOW, now });
    for (let i = 0; i < 10; i++) g.check('A', `a${i}`, T0 - 100 + i);
    g.check('B', 'b', T0 - 500);
    g.close();
    db.close();
    db = open();
    g = new ReplayGuard({ db, windowMs: WINDOW, now, maxPerSender: 4 });
    assert.equal(g.held('A'), 4);
    assert.equal(reason(g.check('A', 'a5', T0 - 95)), 'stale');
    assert.equal(reason(g.check('A', 'a6', T0 - 94)), 'duplicate');
    assert.equal(g.held('B'), 1);
    g.close();
    assert.equal(db.prepare("SELECT count(*) FROM replay_seen WHERE sender = 'A'").pluck().get(), 4, 'the evictions are on disk');
    db.close();
  });

  it('disk full (SQLITE_FULL): reported to onError, never thrown from check or the timer; written once there is room', async (t) => {
    const { open } = await homeDb(t);
    let db = open();
    const errors: unknown[] = [];
    let g = new ReplayGuard({ db, windowMs: WINDOW, now: () => T0, onError: (e) => errors.push(e) });
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    for (let i = 0; i < 2000; i++) assert.equal(reason(g.check('A', `message-${i}-${'x'.repeat(40)}`, T0 - i)), 'ok');
    await new Promise((r) => setImmediate(r)); // the timer's flush fails
    assert.ok(errors.length >= 1);
    assert.equal((errors[0] as { code?: string }).code, 'SQLITE_FULL');
    assert.equal(reason(g.check('A', 'message-7-' + 'x'.repeat(40), T0 - 7)), 'duplicate', 'still known in memory');
    assert.doesNotThrow(() => g.flush());
    const failures = errors.length;
    assert.ok(failures >= 2, 'an explicit flush reports too');

    db.pragma('max_page_count = 1000000');
    g.check('A', 'after', T0);
    await new Promise((r) => setImmediate(r));
    assert.equal(errors.length, failures, 'the retry succeeded');
    g.close();
    db.close();
    db = open();
    g = new ReplayGuard({ db, windowMs: WINDOW, now: () => T0 });
    assert.equal(g.size, 2001, 'everything kept in memory reached the disk');
    assert.equal(reason(g.check('A', 'message-1999-' + 'x'.repeat(40), T0 - 1999)), 'duplicate');
    g.close();
    db.close();
  });

  it('after many failed operations, the next good flush rewrites both tables from memory', async (t) => {
    const { open } = await homeDb(t);
    let db = open();
    const errors: unknown[] = [];
    const opts = { windowMs: WINDOW, now: () => T0, maxTotal: 20, maxPerSender: 8 };
    let g = new ReplayGuard({ ...opts, db, onError: (e) => errors.push(e) });
    g.check('early', 'e', T0 - 5000);
    g.flush();
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    for (let i = 0; i < 300; i++) g.check(`s${i % 5}`, `m${i}-${'y'.repeat(200)}`, T0 - 1000 + i);
    g.flush(); // > maxTotal operations pending: dropped, rewrite next time
    assert.ok(errors.length >= 1);
    const memory = { size: g.size, senders: g.senders };
    db.pragma('max_page_count = 1000000');
    g.close();
    db.close();
    db = open();
    g = new ReplayGuard({ ...opts, db });
    assert.deepEqual({ size: g.size, senders: g.senders }, memory);
    assert.equal(reason(g.check('s0', `m0-${'y'.repeat(200)}`, T0 - 1000)), 'stale', 'floors rewritten too');
    assert.equal(reason(g.check('s4', `m299-${'y'.repeat(200)}`, T0 - 701)), 'duplicate');
    g.close();
    db.close();
  });

  it('without onError, a run of failed writes is one process warning', async (t) => {
    const { open } = await homeDb(t);
    const db = open();
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    t.after(() => process.off('warning', onWarning));
    const g = new ReplayGuard({ db, windowMs: WINDOW, now: () => T0 });
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    for (let turn = 0; turn < 3; turn++) {
      for (let i = 0; i < 500; i++) g.check('A', `t${turn}-${i}-${'z'.repeat(60)}`, T0);
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    assert.equal(warnings.filter((m) => m.startsWith('replay guard:')).length, 1);
    db.pragma('max_page_count = 1000000');
    g.close();
    db.close();
  });

  it('a store closed under it is reported, and an onError that throws is contained', async (t) => {
    const { open } = await homeDb(t);
    const db = open();
    const errors: unknown[] = [];
    const g = new ReplayGuard({ db, onError: (e) => { errors.push(e); throw new Error('handler bug'); } });
    g.check('A', 'm', Date.now());
    db.close();
    await new Promise((r) => setImmediate(r));
    assert.equal((errors[0] as { code?: string }).code, 'ERR_IO');
    assert.equal(reason(g.check('A', 'm', Date.now())), 'duplicate');
    assert.doesNotThrow(() => g.close());
  });
});
