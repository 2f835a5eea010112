import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { URGENCIES } from '../../src/message/types.js';
import { parsePushHeaders } from '../../src/transport/https/push-headers.js';
import { onlyTyped } from '../helpers/typed-errors.js';

const MAX_TTL = 2_419_200;
const value = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.array(fc.string({ maxLength: 10 }), { minLength: 2, maxLength: 3 }),
  fc.nat().map(String),
  fc.constantFrom(...URGENCIES, 'HIGH', ' low ', 'urgent', '', '-1', '1e3', '0x10', '99999999999', 'abc_DEF-123'),
);
const ws = fc.constantFrom('', ' ', '\t', '  ');
const caseMix = (s: string, flips: boolean[]): string => [...s].map((c, i) => (flips[i % Math.max(1, flips.length)] ? c.toUpperCase() : c)).join('');

describe('RFC 8030 push headers (fast-check)', () => {
  it('any header values: parsed within bounds, or ERR_BAD_ARGUMENT, never anything else', () => {
    fc.assert(
      fc.property(fc.record({ ttl: value, urgency: value, topic: value, other: value }, { requiredKeys: [] }), (h) => {
        const r = onlyTyped(['ERR_BAD_ARGUMENT'], () => parsePushHeaders(h, MAX_TTL));
        if (!r.ok) return;
        const p = r.value;
        assert.ok(Number.isSafeInteger(p.ttl) && p.ttl >= 0 && p.ttl <= MAX_TTL);
        assert.ok(URGENCIES.includes(p.urgency));
        if (p.topic !== undefined) assert.match(p.topic, /^[A-Za-z0-9_-]{1,32}$/);
        assert.equal(typeof h.ttl, 'string', 'a TTL header is required');
      }),
      { numRuns: 3000 },
    );
  });

  it('valid headers round-trip, whatever the surrounding whitespace and urgency case', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 9_999_999_999 }),
        fc.option(fc.constantFrom(...URGENCIES), { nil: undefined }),
        fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/), { nil: undefined }),
        fc.array(fc.boolean(), { maxLength: 8 }),
        ws,
        ws,
        (ttl, urgency, topic, flips, before, after) => {
          const h: Record<string, string> = { ttl: `${before}${ttl}${after}` };
          if (urgency) h['urgency'] = `${after}${caseMix(urgency, flips)}${before}`;
          if (topic) h['topic'] = `${before}${topic}${after}`;
          const p = parsePushHeaders(h, MAX_TTL);
          assert.equal(p.ttl, Math.min(ttl, MAX_TTL));
          assert.equal(p.urgency, urgency ?? 'normal');
          assert.equal(p.topic, topic);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('repeated headers and out-of-range values are refused with ERR_BAD_ARGUMENT', () => {
    for (const h of [{}, { ttl: ['1', '2'] }, { ttl: '-1' }, { ttl: '12345678901' }, { ttl: '1', urgency: 'urgent' }, { ttl: '1', topic: 'x'.repeat(33) }, { ttl: '1', topic: 'a b' }]) {
      const r = onlyTyped(['ERR_BAD_ARGUMENT'], () => parsePushHeaders(h, MAX_TTL));
      assert.equal(r.ok, false, JSON.stringify(h));
    }
  });
});
