/**
 * FlowLanes: one flow's tasks run one at a time in submission order,
 * other flows do not wait for a stuck one, and no more than `limit` are
 * pending.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FlowLanes } from '../../src/links/flow-lanes.js';

/** A task that finishes when `release()` is called. */
function gate(): { promise: Promise<void>; release: () => void } {
  let release!: () => void;
  const promise = new Promise<void>((r) => (release = r));
  return { promise, release };
}

describe('FlowLanes', () => {
  it('keeps a flow in order and lets other flows pass a stuck one', async () => {
    const lanes = new FlowLanes(8);
    const log: string[] = [];
    const stuck = gate();
    void lanes.run('a', async () => {
      log.push('a1 start');
      await stuck.promise;
      log.push('a1 end');
    });
    void lanes.run('a', async () => void log.push('a2'));
    await lanes.run('b', async () => void log.push('b1'));
    assert.deepEqual(log, ['a1 start', 'b1'], 'b ran while a1 was stuck; a2 waits behind a1');
    stuck.release();
    await lanes.idle();
    assert.deepEqual(log, ['a1 start', 'b1', 'a1 end', 'a2']);
    assert.equal(lanes.pending, 0);
  });

  it('room() waits while `limit` tasks are pending', async () => {
    const lanes = new FlowLanes(2);
    const gates = [gate(), gate()];
    void lanes.run('x', () => gates[0]!.promise);
    void lanes.run('y', () => gates[1]!.promise);
    let roomy = false;
    const waiting = lanes.room().then(() => (roomy = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(roomy, false);
    gates[1]!.release();
    await waiting;
    assert.equal(roomy, true);
    gates[0]!.release();
    await lanes.idle();
  });

  it('any interleaving of flows and finishing times keeps every flow in order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.nat(3)), { maxLength: 40 }), fc.integer({ min: 1, max: 5 }), async (tasks, limit) => {
        const lanes = new FlowLanes(limit);
        const done: Array<[string, number]> = [];
        let running = 0;
        let maxRunning = 0;
        for (let i = 0; i < tasks.length; i++) {
          const [flow, delay] = tasks[i]!;
          await lanes.room();
          assert.ok(lanes.pending < limit);
          void lanes.run(flow, async () => {
            running++;
            maxRunning = Math.max(maxRunning, running);
            for (let t = 0; t < delay; t++) await new Promise((r) => setImmediate(r));
            running--;
            done.push([flow, i]);
          });
        }
        await lanes.idle();
        assert.equal(done.length, tasks.length);
        assert.ok(maxRunning <= limit);
        for (const flow of ['a', 'b', 'c']) {
          const order = done.filter(([f]) => f === flow).map(([, i]) => i);
          assert.deepEqual(order, [...order].sort((x, y) => x - y), `flow ${flow} in order`);
        }
      }),
      { numRuns: 100 },
    );
  });
});
