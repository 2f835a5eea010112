import { strict as assert } from 'node:assert';
import { createECDH } from 'node:crypto';
import { describe, it } from 'node:test';
import { deriveContentKeys } from '../../src/webpush/aes128gcm-keys.js';
import { decryptAes128gcm, encryptWebPush, parseAes128gcmHeader, WebPushDecrypter } from '../../src/webpush/index.js';
import { ecdhSecret } from '../../src/webpush/p256.js';
import { webPushKeySchedule } from '../../src/webpush/rfc8291-keys.js';
import { b64, loadVectors } from './vectors.js';

// RFC 8291 naming: "as" = application server = the sender (its key is the
// ephemeral key in the body's keyid); "ua" = user agent = the receiver.
const v = loadVectors().rfc8291_appendix_a;

describe('RFC 8291 Appendix A', () => {
  it('the receiver (ua_private, auth) decrypts the 144-byte body to the watermelon sentence', () => {
    const body = b64(v.body);
    assert.equal(body.length, 144);
    const decrypter = new WebPushDecrypter({ privateScalar: b64(v.ua_private), publicKey: b64(v.ua_public), auth: b64(v.auth_secret) });
    const plaintext = decrypter.decrypt(body);
    assert.equal(plaintext.toString('utf8'), v.plaintext_utf8);
    assert.deepEqual(plaintext, b64(v.plaintext));
  });

  it('the sender (as_private as the ephemeral key, fixed salt) produces the exact body', () => {
    const body = encryptWebPush(
      b64(v.plaintext),
      { p256dh: b64(v.ua_public), auth: b64(v.auth_secret) },
      { salt: b64(v.salt), ephemeralPrivateKey: b64(v.as_private) },
    );
    assert.equal(body.toString('base64url'), v.body);
  });

  it('the header carries salt, rs 4096 and the sender public key as keyid', () => {
    const header = parseAes128gcmHeader(b64(v.body));
    assert.deepEqual(header.salt, b64(v.salt));
    assert.equal(header.rs, 4096);
    assert.deepEqual(header.keyid, b64(v.as_public));
    assert.equal(header.length, 86);
  });

  it('ecdh_secret is the same from both sides and matches the vector', () => {
    const ua = createECDH('prime256v1');
    ua.setPrivateKey(b64(v.ua_private));
    const as = createECDH('prime256v1');
    as.setPrivateKey(b64(v.as_private));
    assert.deepEqual(as.getPublicKey(), b64(v.as_public));
    assert.deepEqual(ua.getPublicKey(), b64(v.ua_public));
    assert.equal(ecdhSecret(ua, b64(v.as_public)).toString('base64url'), v.ecdh_secret);
    assert.equal(ecdhSecret(as, b64(v.ua_public)).toString('base64url'), v.ecdh_secret);
  });

  it('prk_key, ikm, prk, cek and nonce match the vector', () => {
    const keys = webPushKeySchedule(b64(v.ecdh_secret), b64(v.auth_secret), b64(v.ua_public), b64(v.as_public), b64(v.salt));
    assert.equal(keys.prkKey.toString('base64url'), v.prk_key);
    assert.equal(keys.ikm.toString('base64url'), v.ikm);
    assert.equal(keys.prk.toString('base64url'), v.prk);
    assert.equal(keys.cek.toString('base64url'), v.cek);
    assert.equal(keys.nonce.toString('base64url'), v.nonce);
    const content = deriveContentKeys(b64(v.ikm), b64(v.salt));
    assert.equal(content.cek.toString('base64url'), v.cek);
    assert.equal(content.nonce.toString('base64url'), v.nonce);
  });

  it('the body is a plain RFC 8188 body under the vector IKM', () => {
    assert.equal(decryptAes128gcm(b64(v.body), { ikm: b64(v.ikm), maxRecords: 1 }).toString('utf8'), v.plaintext_utf8);
  });
});
