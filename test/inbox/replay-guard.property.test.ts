/**
 * ReplayGuard against a model (fast-check): random interleavings of honest
 * senders, a flooder, throwaway keys, replays of any earlier message,
 * clock advances and restarts on the same store. After every check:
 *
 * 1. no (sender, id) is ever `ok` twice while its time is inside the window
 *    (ids are unique, so a second `ok` would be a replay let through);
 * 2. size ≤ maxTotal, every sender ≤ maxPerSender, and the counts add up;
 * 3. isolation: a sender other than the one checked loses a live entry
 *    (its replay no longer `duplicate`) only when, afterwards, no sender
 *    holds more than one entry above it; clock advances and restarts
 *    lose none.
 *
 * Senders: h0…h2 and r0…r5 (light senders that come back, so whole
 * tables get forgotten and re-made), a flooder f0, and throwaway keys.
 *
 * Plus liveness: until a bound was first reached, a new message inside the
 * window is `ok`; a never-accepted message is never `duplicate`.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ReplayGuard } from '../../src/inbox/replay-guard.js';
import { openDatabase, type Db } from '../../src/store/database.js';

const WINDOW = 1000;
const SKEW = 100;
const MAX_PER_SENDER = 6;
const MAX_TOTAL = 12;

type Step =
  | { kind: 'send'; sender: string; offset: number }
  | { kind: 'replay'; pick: number }
  | { kind: 'flood'; n: number; offset: number }
  | { kind: 'throwaway'; n: number; offset: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'restart' };

/** Message times relative to now: mostly inside the window, some just outside either edge. */
const offset = fc.oneof(fc.integer({ min: -WINDOW, max: SKEW }), fc.integer({ min: -WINDOW - 50, max: SKEW + 50 }), fc.constantFrom(-WINDOW - 1, -WINDOW, 0, SKEW, SKEW + 1));
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('send' as const), sender: fc.constantFrom('h0', 'h1', 'h2', 'r0', 'r1', 'r2', 'r3', 'r4', 'r5'), offset }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('replay' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('flood' as const), n: fc.integer({ min: 1, max: 20 }), offset }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('throwaway' as const), n: fc.integer({ min: 1, max: 20 }), offset }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 1500 })) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

interface Msg {
  sender: string;
  id: string;
  time: number;
  accepted: boolean;
  /** Its replay was `duplicate` at the last probe (the guard holds it). */
  held: boolean;
}

function run(steps: Step[], withDb: boolean): void {
  const clock = { now: 1_000_000 };
  const db: Db | null = withDb ? openDatabase('/nonexistent', ':memory:') : null;
  const make = (): ReplayGuard =>
    new ReplayGuard({ windowMs: WINDOW, futureSkewMs: SKEW, maxPerSender: MAX_PER_SENDER, maxTotal: MAX_TOTAL, now: () => clock.now, ...(db ? { db } : {}), onError: (e) => assert.fail(`write failed: ${String(e)}`) });
  let g = make();
  const msgs: Msg[] = [];
  const bySender = new Map<string, Msg[]>();
  let nextId = 0;
  let nextThrowaway = 0;
  let pressure = false;

  const check = (m: Msg): void => {
    const isNew = !m.accepted;
    const v = g.check(m.sender, m.id, m.time);
    const age = clock.now - m.time;
    if (m.time > clock.now + SKEW) assert.deepEqual(v, { ok: false, reason: 'future' });
    else if (age > WINDOW) assert.deepEqual(v, { ok: false, reason: 'stale' });
    if (v.ok) {
      assert.ok(isNew, `(1) ${m.sender}/${m.id} accepted twice`);
      m.accepted = true;
      m.held = true;
    } else if (isNew) {
      assert.notEqual(v.reason, 'duplicate', `never accepted, yet duplicate: ${m.sender}/${m.id}`);
      if (!pressure && age <= WINDOW && m.time <= clock.now + SKEW) assert.fail(`refused without pressure: ${v.reason}`);
    }
  };

  /** Properties 2 and 3 after a step; `checked` is the sender whose traffic it was (none for advance and restart). */
  const verify = (checked: string | null): void => {
    let total = 0;
    let tables = 0;
    let largest = 0;
    const held = new Map<string, number>();
    for (const s of bySender.keys()) {
      const n = g.held(s);
      held.set(s, n);
      assert.ok(n <= MAX_PER_SENDER, `(2) ${s} holds ${n}`);
      total += n;
      if (n > 0) tables++;
      largest = Math.max(largest, n);
    }
    assert.ok(g.size <= MAX_TOTAL, `(2) size ${g.size}`);
    assert.equal(total, g.size);
    assert.equal(tables, g.senders);
    if (g.size === MAX_TOTAL || largest === MAX_PER_SENDER) pressure = true;
    for (const [s, list] of bySender) {
      const mine = held.get(s)!;
      for (const m of list) {
        if (!m.held) continue;
        if (clock.now - m.time > WINDOW) {
          m.held = false; // left the window: may go at any time
          continue;
        }
        const v = g.check(m.sender, m.id, m.time);
        assert.ok(!v.ok, `(1) live ${s}/${m.id} accepted again`);
        if (v.reason === 'duplicate') continue;
        m.held = false;
        if (s === checked) continue; // its own traffic may evict it (maxPerSender, or it is the largest)
        assert.notEqual(checked, null, `(3) ${s}/${m.id} lost without any traffic`);
        for (const [other, n] of held) assert.ok(n <= mine + 1, `(3) ${s} lost ${m.id} while ${other} holds ${n} > ${mine} + 1`);
      }
    }
  };

  const fresh = (sender: string, off: number): void => {
    const m: Msg = { sender, id: `m${nextId++}`, time: clock.now + off, accepted: false, held: false };
    msgs.push(m);
    let list = bySender.get(sender);
    if (!list) bySender.set(sender, (list = []));
    list.push(m);
    check(m);
    verify(sender);
  };

  for (const step of steps) {
    switch (step.kind) {
      case 'send':
        fresh(step.sender, step.offset);
        break;
      case 'replay': {
        const m = msgs[step.pick % Math.max(1, msgs.length)];
        if (m) {
          check(m);
          verify(m.sender);
        }
        break;
      }
      case 'flood':
        for (let i = 0; i < step.n; i++) fresh('f0', step.offset);
        break;
      case 'throwaway':
        for (let i = 0; i < step.n; i++) fresh(`t${nextThrowaway++}`, step.offset);
        break;
      case 'advance':
        clock.now += step.ms;
        verify(null);
        break;
      case 'restart':
        if (!db) break;
        g.close();
        g = make();
        verify(null);
        break;
    }
  }
  g.close();
  db?.close();
}

describe('ReplayGuard model (fast-check)', () => {
  it('never accepts a live message twice, stays in its bounds, and spares senders smaller than the largest', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 120, size: 'max' }), fc.boolean(), (steps, withDb) => run(steps, withDb)),
      { numRuns: 400 },
    );
  });
});
