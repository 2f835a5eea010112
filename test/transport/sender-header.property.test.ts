import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatSenderHeader, parseSenderHeader } from '../../src/transport/https/sender-header.js';
import { HEADER_CHARS, onlyTyped } from '../helpers/typed-errors.js';

const good = fc.record({
  id: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
  time: fc.integer({ min: 0, max: 2 ** 48 }),
  mac: fc.uint8Array({ minLength: 32, maxLength: 32 }),
});

describe('Pushmesh-Sender header (fast-check)', () => {
  it('round-trips every well-formed proof', () => {
    fc.assert(
      fc.property(good, (p) => {
        const back = parseSenderHeader(formatSenderHeader(p))!;
        assert.equal(back.id, p.id);
        assert.equal(back.time, p.time);
        assert.deepEqual(Buffer.from(back.mac), Buffer.from(p.mac));
      }),
    );
  });

  it('any header value: a proof within bounds, or ERR_BAD_ARGUMENT, never anything else', () => {
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom(...HEADER_CHARS), maxLength: 200 }),
      good.map(formatSenderHeader).chain((h) => fc.tuple(fc.nat({ max: h.length }), fc.string({ unit: fc.constantFrom(...HEADER_CHARS), maxLength: 8 })).map(([i, ins]) => h.slice(0, i) + ins + h.slice(i + 1))),
    );
    fc.assert(
      fc.property(fc.oneof(text, fc.array(text, { minLength: 2, maxLength: 3 }), fc.constant(undefined)), (value) => {
        const r = onlyTyped(['ERR_BAD_ARGUMENT'], () => parseSenderHeader(value));
        if (!r.ok || r.value === undefined) {
          if (r.ok) assert.equal(value, undefined);
          return;
        }
        assert.match(r.value.id, /^[A-Za-z0-9_-]{1,64}$/);
        assert.ok(Number.isSafeInteger(r.value.time) && r.value.time >= 0);
        assert.equal(r.value.mac.length, 32);
      }),
      { numRuns: 2000 },
    );
  });
});
