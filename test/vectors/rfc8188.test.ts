import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { deriveContentKeys } from '../../src/webpush/aes128gcm-keys.js';
import { decryptAes128gcm, encryptAes128gcm, parseAes128gcmHeader } from '../../src/webpush/index.js';
import { b64, loadVectors } from './vectors.js';

const vectors = loadVectors();

describe('RFC 8188 §3.1 (single record, rs 4096)', () => {
  const v = vectors.rfc8188_3_1;

  it('decrypts to "I am the walrus"', () => {
    assert.equal(decryptAes128gcm(b64(v.encoded), { ikm: b64(v.ikm) }).toString('utf8'), v.plaintext_utf8);
  });

  it('encrypts to the exact bytes', () => {
    const body = encryptAes128gcm(Buffer.from(v.plaintext_utf8, 'utf8'), { ikm: b64(v.ikm), salt: b64(v.salt), rs: v.rs });
    assert.equal(body.toString('base64url'), v.encoded);
    assert.equal(body.length, 53);
  });

  it('header and key schedule match', () => {
    const header = parseAes128gcmHeader(b64(v.encoded));
    assert.deepEqual(header.salt, b64(v.salt));
    assert.equal(header.rs, 4096);
    assert.equal(header.keyid.length, 0);
    const keys = deriveContentKeys(b64(v.ikm), b64(v.salt));
    assert.equal(keys.prk.toString('base64url'), v.prk);
    assert.equal(keys.cek.toString('base64url'), v.cek);
    assert.equal(keys.nonce.toString('base64url'), v.nonce);
  });
});

describe('RFC 8188 §3.2 (two records, rs 25, keyid "a1")', () => {
  const v = vectors.rfc8188_3_2;

  it('decrypts, looking the key up by keyid', () => {
    const seen: string[] = [];
    const plaintext = decryptAes128gcm(b64(v.encoded), {
      ikm: (keyid) => {
        seen.push(keyid.toString('utf8'));
        return b64(v.ikm);
      },
    });
    assert.equal(plaintext.toString('utf8'), v.plaintext_utf8);
    assert.deepEqual(seen, [v.keyid_utf8]);
  });

  it('refuses it when only one record is allowed', () => {
    assert.throws(() => decryptAes128gcm(b64(v.encoded), { ikm: b64(v.ikm), maxRecords: 1 }), { name: 'DecryptError' });
  });

  it('encrypts to the exact bytes (first record padded with one 0x00)', () => {
    const header = parseAes128gcmHeader(b64(v.encoded));
    assert.equal(header.rs, 25);
    assert.equal(header.keyid.toString('utf8'), v.keyid_utf8);
    const body = encryptAes128gcm(Buffer.from(v.plaintext_utf8, 'utf8'), {
      ikm: b64(v.ikm),
      salt: header.salt,
      rs: 25,
      keyid: Buffer.from(v.keyid_utf8, 'utf8'),
      padding: 1,
    });
    assert.equal(body.toString('base64url'), v.encoded);
    assert.equal(body.length, header.length + 25 + 25);
  });
});
