import { strict as assert } from 'node:assert';
import { createPublicKey } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseAuthSecret, parsePrivateKeyPem } from '../../src/identity/index.js';
import { fromBase64Url, toBase64Url } from '../../src/util/base64url.js';
import { generatePrivateKey, pkcs8Pem, sec1Pem, uncompressedPublicKey } from '../helpers/keys.js';
import { onlyTyped } from '../helpers/typed-errors.js';

const KEYS = [generatePrivateKey('p256'), generatePrivateKey('p256'), generatePrivateKey('p384'), generatePrivateKey('ed25519'), generatePrivateKey('secp256k1')];
const PEMS = KEYS.flatMap((k) => [pkcs8Pem(k), ...(k.asymmetricKeyType === 'ec' ? [sec1Pem(k)] : []), createPublicKey(k).export({ format: 'pem', type: 'spki' }).toString()]);
const ENCRYPTED = KEYS[0]!.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-128-cbc', passphrase: 'x' }).toString();

/** A PEM with one character of its base64 body replaced, or cut short, or its label changed. */
const damagedPem = fc.tuple(fc.constantFrom(...PEMS, ENCRYPTED), fc.nat(), fc.constantFrom(...'ABCxyz019+/=-\n '), fc.nat({ max: 3 })).map(([pem, at, ch, how]) => {
  const i = at % pem.length;
  if (how === 0) return pem.slice(0, i) + ch + pem.slice(i + 1);
  if (how === 1) return pem.slice(0, i);
  if (how === 2) return pem.replace(/PRIVATE KEY/g, ['EC PRIVATE KEY', 'PUBLIC KEY', 'ENCRYPTED PRIVATE KEY', 'CERTIFICATE'][at % 4]!);
  return pem + pem.slice(0, i);
});
const pemShaped = fc.tuple(fc.constantFrom('PRIVATE KEY', 'EC PRIVATE KEY', 'EC PARAMETERS', 'RSA PRIVATE KEY', 'X'), fc.uint8Array({ maxLength: 200 })).map(
  ([label, der]) => `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END ${label}-----\n`,
);

describe('key and secret text (fast-check)', () => {
  it('parsePrivateKeyPem: any text gives a P-256 key pair or ERR_BAD_KEY', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), damagedPem, pemShaped), (text) => {
        const r = onlyTyped(['ERR_BAD_KEY'], () => parsePrivateKeyPem(text, 'fuzz.pem'));
        if (!r.ok) {
          assert.match(r.message, /^fuzz\.pem: /);
          return;
        }
        assert.equal(r.value.publicKey.length, 65);
        assert.equal(r.value.privateScalar.length, 32);
        assert.ok(uncompressedPublicKey(r.value.privateKey).equals(r.value.publicKey));
      }),
      { numRuns: 1500 },
    );
  });

  it('parsePrivateKeyPem: P-256 keys round-trip from PKCS#8 and SEC1 (with CRLF and text around them)', () => {
    fc.assert(
      fc.property(fc.constantFrom(KEYS[0]!, KEYS[1]!), fc.boolean(), fc.boolean(), fc.string({ maxLength: 30 }), (key, sec1, crlf, around) => {
        fc.pre(!around.includes('-----'));
        let pem = sec1 ? sec1Pem(key) : pkcs8Pem(key);
        if (crlf) pem = pem.replace(/\n/g, '\r\n');
        const pair = parsePrivateKeyPem(`${around}\n${pem}${around}`);
        assert.ok(pair.publicKey.equals(uncompressedPublicKey(key)));
        assert.ok(parsePrivateKeyPem(pair.pkcs8Pem).privateScalar.equals(pair.privateScalar));
      }),
      { numRuns: 100 },
    );
  });

  it('parseAuthSecret: any text is 16 bytes or ERR_BAD_ARGUMENT; 16 bytes round-trip', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.uint8Array({ maxLength: 24 }).map((b) => toBase64Url(b)), fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => ` ${toBase64Url(b)}==\n`)), (text) => {
        const r = onlyTyped(['ERR_BAD_ARGUMENT'], () => parseAuthSecret(text));
        if (r.ok) assert.equal(r.value.length, 16);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => assert.deepEqual(parseAuthSecret(toBase64Url(b)), Buffer.from(b))),
      { numRuns: 300 },
    );
  });

  it('fromBase64Url: strict (TypeError for anything outside the alphabet or of impossible length), and round-trips', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        try {
          const bytes = fromBase64Url(text);
          const body = text.replace(/=+$/, '');
          assert.match(body, /^[A-Za-z0-9_-]*$/);
          assert.notEqual(body.length % 4, 1);
          // Same length back; only the unused low bits of the last character may differ (RFC 4648 §3.5 lets decoders ignore them).
          const again = toBase64Url(bytes);
          assert.equal(again.length, body.length);
          assert.equal(again.slice(0, -1), body.slice(0, -1));
        } catch (err) {
          assert.ok(err instanceof TypeError, String(err));
        }
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => assert.deepEqual(fromBase64Url(toBase64Url(b)), Buffer.from(b))),
      { numRuns: 500 },
    );
  });
});
