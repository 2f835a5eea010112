import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Ring } from '../../src/local/ring.js';

describe('Ring (bounded FIFO of held messages)', () => {
  it('behaves like an array that drops its oldest item beyond capacity', () => {
    fc.assert(
      fc.property(fc.nat({ max: 20 }), fc.array(fc.integer(), { maxLength: 100 }), (cap, items) => {
        const ring = new Ring<number>(cap);
        const model: number[] = [];
        for (const x of items) {
          const dropped = ring.push(x);
          model.push(x);
          const expectDropped = model.length > cap ? model.shift() : undefined;
          assert.equal(dropped, expectDropped);
          assert.deepEqual([...ring], model);
          assert.equal(ring.size, model.length);
        }
        assert.deepEqual(ring.filter((x) => x % 2 === 0), model.filter((x) => x % 2 === 0));
      }),
    );
  });
});
