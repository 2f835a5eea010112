import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { URGENCIES } from '../../src/message/types.js';
import { OutboxStore } from '../../src/outbox/outbox-store.js';
import { openDatabase } from '../../src/store/database.js';
import { tempDir } from '../helpers/temp-dir.js';

/** The obvious model of the outbox: a list, scanned in full for every question. */
interface ModelEntry {
  seq: number;
  dest: string;
  replace: string | null;
  urgency: number;
  expiresAt: number;
  next: number;
  inFlight: boolean;
  expiredInFlight: boolean;
}

const op = fc.oneof(
  fc.record({ kind: fc.constant('enqueue' as const), dest: fc.constantFrom('a', 'b', 'c'), replace: fc.option(fc.constantFrom('k1', 'k2'), { nil: null }), urgency: fc.nat(3), ttl: fc.integer({ min: 1, max: 50 }) }),
  fc.record({ kind: fc.constant('take' as const), limit: fc.integer({ min: 1, max: 5 }), busy: fc.subarray(['a', 'b', 'c']), room: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }) }),
  fc.record({ kind: fc.constant('finish' as const), pick: fc.nat(), outcome: fc.constantFrom('delivered', 'retry'), delay: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('tick' as const), by: fc.integer({ min: 1, max: 15 }) }),
);

describe('outbox schedule against a model (property)', () => {
  it('due, claims, retries, replacements and expiry agree with a full scan', async (t) => {
    const dir = await tempDir(t);
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const db = openDatabase(dir, ':memory:');
        try {
          const store = new OutboxStore(db, { maxEntries: 8, now: 0 });
          const model: ModelEntry[] = [];
          let now = 0;
          for (const o of ops) {
            if (o.kind === 'enqueue') {
              const replaced = o.replace === null ? undefined : model.find((e) => e.dest === o.dest && e.replace === o.replace);
              const full = model.length - (replaced ? 1 : 0) >= 8;
              let seq: number;
              try {
                seq = store.enqueue({ id: `m${now}`, dest: o.dest, replace: o.replace, urgency: URGENCIES[o.urgency]!, expiresAt: now + o.ttl, wire: Buffer.of(1) }, now).seq;
              } catch {
                assert.ok(full, 'refused only when full');
                continue;
              }
              assert.ok(!full, 'accepted only when not full');
              if (replaced) model.splice(model.indexOf(replaced), 1);
              model.push({ seq, dest: o.dest, replace: o.replace, urgency: o.urgency, expiresAt: now + o.ttl, next: now, inFlight: false, expiredInFlight: false });
            } else if (o.kind === 'take') {
              const got = store.due(now, o.limit, o.busy, o.room === undefined ? undefined : () => o.room!);
              // An entry waits behind an earlier entry of its destination that waits for a retry (order per destination).
              const waitsBehind = (e: ModelEntry): boolean => model.some((x) => x.dest === e.dest && x.seq < e.seq && !x.inFlight && x.next > now);
              const inOrder = model.filter((e) => !e.inFlight && e.next <= now && !o.busy.includes(e.dest) && !waitsBehind(e)).sort((x, y) => y.urgency - x.urgency || x.seq - y.seq);
              // At most `room` per destination: the first ones of each in that order.
              const perDest = new Map<string, number>();
              const eligible = inOrder.filter((e) => {
                const n = perDest.get(e.dest) ?? 0;
                perDest.set(e.dest, n + 1);
                return o.room === undefined || n < o.room;
              });
              assert.deepEqual(got.map((g) => g.seq), eligible.slice(0, o.limit).map((e) => e.seq), 'exactly the first eligible entries, most urgent first, then queue order');
              assert.equal(got.length, Math.min(o.limit, eligible.length));
              for (let i = 1; i < got.length; i++) {
                const [u0, u1] = [URGENCIES.indexOf(got[i - 1]!.urgency), URGENCIES.indexOf(got[i]!.urgency)];
                assert.ok(u0 >= u1, 'most urgent first');
                if (u0 === u1) assert.ok(got[i - 1]!.seq < got[i]!.seq, 'queue order within an urgency');
              }
              // Whatever is returned is eligible, and nothing more urgent was left out.
              for (const g of got) assert.ok(eligible.some((e) => e.seq === g.seq));
              const minTaken = Math.min(...got.map((g) => URGENCIES.indexOf(g.urgency)));
              const left = eligible.filter((e) => !got.some((g) => g.seq === e.seq));
              if (got.length === o.limit) for (const e of left) assert.ok(e.urgency <= minTaken);
              for (const g of got) {
                store.claim(g.seq);
                model.find((e) => e.seq === g.seq)!.inFlight = true;
              }
            } else if (o.kind === 'finish') {
              const flying = model.filter((e) => e.inFlight);
              if (flying.length === 0) continue;
              const e = flying[o.pick % flying.length]!;
              if (o.outcome === 'delivered') {
                store.remove(e.seq);
                model.splice(model.indexOf(e), 1);
              } else {
                store.scheduleRetry(e.seq, now + o.delay, now);
                Object.assign(e, { inFlight: false, next: now + o.delay, expiredInFlight: false });
              }
            } else {
              now += o.by;
              const expired = store.takeExpired(now).map((e) => e.seq).sort((x, y) => x - y);
              const want = model.filter((e) => e.expiresAt <= now && !e.inFlight).map((e) => e.seq);
              assert.deepEqual(expired, want);
              for (const seq of want) model.splice(model.findIndex((e) => e.seq === seq), 1);
            }
            assert.equal(store.depth(), model.length);
            // The next retry time: the earliest still to come, or one that has come (due now, not yet picked up).
            const waiting = model.filter((e) => !e.inFlight && e.next > now).map((e) => e.next);
            const next = store.nextAttemptAt();
            if (next === null) assert.equal(waiting.length, 0);
            else if (next > now) assert.equal(next, Math.min(...waiting));
          }
        } finally {
          db.close();
        }
      }),
      { numRuns: 300 },
    );
  });
});
