import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isPushmeshError } from '../../src/errors/index.js';
import { URGENCIES } from '../../src/message/types.js';
import { parsePushHeaders } from '../../src/transport/https/push-headers.js';
import { pushmeshError } from '../helpers/errors.js';

const MAX_TTL = 2_419_200;

describe('RFC 8030 push headers', () => {
  it('TTL is required; Urgency defaults to normal; a TTL above the limit is lowered to it', () => {
    assert.throws(() => parsePushHeaders({}, MAX_TTL), pushmeshError('ERR_BAD_ARGUMENT', /TTL header is required/));
    assert.deepEqual(parsePushHeaders({ ttl: '0' }, MAX_TTL), { ttl: 0, urgency: 'normal' });
    assert.deepEqual(parsePushHeaders({ ttl: '9999999999' }, MAX_TTL), { ttl: MAX_TTL, urgency: 'normal' });
    assert.deepEqual(parsePushHeaders({ ttl: '60', urgency: 'HIGH', topic: 'abc_-1' }, MAX_TTL), { ttl: 60, urgency: 'high', topic: 'abc_-1' });
    for (const bad of [{ ttl: '1.5' }, { ttl: '' }, { ttl: '0x10' }, { ttl: ['1', '2'] }, { ttl: '1', urgency: 'now' }, { ttl: '1', topic: '' }, { ttl: '1', topic: 'a/b' }]) {
      assert.throws(() => parsePushHeaders(bad, MAX_TTL), pushmeshError('ERR_BAD_ARGUMENT'), JSON.stringify(bad));
    }
  });

  it('any header values: valid headers or ERR_BAD_ARGUMENT, never another error (property)', () => {
    const value = fc.oneof(fc.string({ maxLength: 40 }), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), fc.constant(undefined), fc.nat().map(String));
    fc.assert(
      fc.property(fc.record({ ttl: value, urgency: value, topic: value }, { requiredKeys: [] }), (h) => {
        try {
          const out = parsePushHeaders(h as Record<string, string | string[] | undefined>, MAX_TTL);
          assert.ok(Number.isInteger(out.ttl) && out.ttl >= 0 && out.ttl <= MAX_TTL);
          assert.ok(URGENCIES.includes(out.urgency));
          if (out.topic !== undefined) assert.match(out.topic, /^[A-Za-z0-9_-]{1,32}$/);
        } catch (err) {
          assert.ok(isPushmeshError(err) && err.code === 'ERR_BAD_ARGUMENT', String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
