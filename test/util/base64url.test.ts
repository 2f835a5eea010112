import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeCanonicalBase64Url, fromBase64Url, toBase64Url } from '../../src/util/base64url.js';

describe('base64url (src/util/base64url.ts)', () => {
  it('decodeCanonicalBase64Url: bytes round-trip; any other text decodes only if it is what its bytes encode to (fast-check)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => assert.deepEqual(decodeCanonicalBase64Url(toBase64Url(bytes)), Buffer.from(bytes))));
    const text = fc.oneof(fc.string({ maxLength: 30 }), fc.stringMatching(/^[A-Za-z0-9_=+/-]{0,30}$/));
    fc.assert(
      fc.property(text, (s) => {
        const bytes = decodeCanonicalBase64Url(s);
        if (bytes !== undefined) assert.equal(toBase64Url(bytes), s);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses padding, other alphabets, impossible lengths and set unused bits; fromBase64Url also takes trailing padding', () => {
    for (const s of ['QQ==', 'QR', 'Q', 'a+b/', 'QQ QQ']) assert.equal(decodeCanonicalBase64Url(s), undefined, s);
    assert.deepEqual(decodeCanonicalBase64Url('QQ'), Buffer.from('A'));
    assert.deepEqual(fromBase64Url('QQ=='), Buffer.from('A'));
    for (const s of ['QR', 'Q', 'a+b/', '=QQ']) assert.throws(() => fromBase64Url(s), TypeError, s);
  });
});
