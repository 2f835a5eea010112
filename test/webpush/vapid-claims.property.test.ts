import { strict as assert } from 'node:assert';
import { sign } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VapidError } from '../../src/errors/index.js';
import { MAX_VAPID_TTL_SECONDS, parseVapidAuthorization, VapidVerifier } from '../../src/webpush/index.js';
import { readVapidClaims } from '../../src/webpush/vapid-claims.js';
import { newP256Key } from './keys.js';

const AUD = 'https://node.example:15443';
const NOW = Date.UTC(2031, 0, 1) / 1000;
const sender = newP256Key();
const K = sender.publicKey.toString('base64url');
const b64 = (s: string | Uint8Array): string => Buffer.from(s).toString('base64url');

/** A JWS over any header and payload text, correctly ES256-signed by `sender` (so only the content is wrong, if anything). */
function signed(header: string, payload: string | Uint8Array): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const sig = sign('sha256', Buffer.from(input), { key: sender.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64(sig)}`;
}

const claimValue = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.double(), fc.constantFrom(AUD, [AUD], [], ['x', AUD], NOW + 60, NOW - 1, NOW + MAX_VAPID_TTL_SECONDS + 61, 'mailto:a@b.c', null));
const claims = fc.oneof(
  fc.record({ aud: claimValue, exp: claimValue, nbf: claimValue, sub: claimValue }, { requiredKeys: [] }).map((c) => JSON.stringify(c)),
  fc.record({ aud: fc.constant(AUD), exp: fc.integer({ min: NOW - 10, max: NOW + MAX_VAPID_TTL_SECONDS + 100 }), sub: fc.constant('mailto:ops@example.com') }).map((c) => JSON.stringify(c)),
  fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
  fc.string(),
);
const header = fc.oneof(
  fc.constant('{"typ":"JWT","alg":"ES256"}'),
  fc.constantFrom('{"alg":"none"}', '{"alg":"HS256"}', '{"alg":"ES384"}', '{"alg":"ES256","crit":["x"],"x":1}', '{"alg":"ES256","b64":false,"crit":["b64"]}', '{"alg":"ES256","jwk":{}}', '{}', 'null', '[]', 'not json'),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? ''),
);

describe('VAPID claims and tokens (fast-check)', () => {
  it('correctly signed tokens with any header and claims: accepted only when every rule holds, else VapidError', async () => {
    const verifier = new VapidVerifier({ now: () => NOW * 1000 });
    await fc.assert(
      fc.asyncProperty(header, claims, async (h, c) => {
        try {
          const v = await verifier.verify(`vapid t=${signed(h, c)}, k=${K}`, AUD);
          const parsed = JSON.parse(c) as { aud: unknown; exp: number };
          assert.ok(parsed.aud === AUD || (Array.isArray(parsed.aud) && parsed.aud.includes(AUD)));
          assert.ok(parsed.exp > NOW && parsed.exp <= NOW + MAX_VAPID_TTL_SECONDS + 60);
          assert.equal(v.expires, parsed.exp);
          assert.match(h, /"alg":"ES256"/);
        } catch (err) {
          if (!(err instanceof VapidError)) throw err;
          assert.equal(err.code, 'ERR_VAPID_INVALID');
        }
      }),
      { numRuns: 600 },
    );
  });

  it('readVapidClaims: any bytes give claims or VapidError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), claims.map((c) => Buffer.from(c))), (bytes) => {
        try {
          const c = readVapidClaims(bytes);
          assert.ok(Number.isFinite(c.exp));
        } catch (err) {
          if (!(err instanceof VapidError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('parseVapidAuthorization: every accepted spelling of the same header gives the same token and key', () => {
    const token = signed('{"typ":"JWT","alg":"ES256"}', JSON.stringify({ aud: AUD, exp: NOW + 60 }));
    const sp = fc.constantFrom('', ' ', '\t', '  ');
    const quote = (v: string, q: boolean): string => (q ? `"${v}"` : v);
    fc.assert(
      fc.property(
        fc.constantFrom('vapid', 'VAPID', 'Vapid'),
        fc.constantFrom(' ', '\t', '  '),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        sp,
        sp,
        fc.option(fc.tuple(fc.stringMatching(/^[a-z]{1,5}$/), fc.stringMatching(/^[A-Za-z0-9]{0,8}$/)), { nil: undefined }),
        (scheme, gap, kFirst, upper, qt, qk, padK, s1, s2, extra) => {
          fc.pre(extra === undefined || (extra[0] !== 't' && extra[0] !== 'k'));
          const t = `${upper ? 'T' : 't'}${s1}=${s2}${quote(token, qt)}`;
          const k = `${upper ? 'K' : 'k'}=${quote(K + (padK ? '=' : ''), qk)}`;
          const params = kFirst ? [k, t] : [t, k];
          if (extra) params.splice(1, 0, `${extra[0]}=${extra[1]}`);
          const parsed = parseVapidAuthorization(`${scheme}${gap}${params.join(`${s1},${s2}`)}`);
          assert.equal(parsed.token, token);
          assert.ok(parsed.key.equals(sender.publicKey));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
