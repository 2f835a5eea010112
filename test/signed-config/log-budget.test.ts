import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { LogBudget } from '../../src/signed-config/log-budget.js';

describe('LogBudget', () => {
  it('allows perWindow lines per key per window, then reports how many were left out', () => {
    let now = 0;
    const b = new LogBudget({ perWindow: 2, windowMs: 1000, now: () => now });
    assert.deepEqual([b.take('x'), b.take('x'), b.take('x'), b.take('x')].map((r) => r.log), [true, true, false, false]);
    assert.deepEqual(b.take('y'), { log: true, skipped: 0 }, 'keys are independent');
    now = 1000;
    assert.deepEqual(b.take('x'), { log: true, skipped: 2 });
    assert.deepEqual(b.take('x'), { log: true, skipped: 0 });
  });
});
