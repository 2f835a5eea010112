import { strict as assert } from 'node:assert';
import { createECDH, createPrivateKey, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { p256 } from '@noble/curves/nist.js';
import { compactVerify, importJWK, jwtVerify } from 'jose';
import {
  decryptAes128gcm,
  encryptAes128gcm,
  encryptWebPush,
  MAX_WEBPUSH_PLAINTEXT,
  parseVapidAuthorization,
  VapidSigner,
  VapidVerifier,
  WebPushDecrypter,
} from '../../src/webpush/index.js';
import { ecdhSecret } from '../../src/webpush/p256.js';
import { b64, loadVectors } from '../vectors/vectors.js';
import { newP256Key, newReceiver } from './keys.js';

interface HttpEce {
  encrypt(buffer: Buffer, params: Record<string, unknown>): Buffer;
  decrypt(buffer: Buffer, params: Record<string, unknown>): Buffer;
}
const require = createRequire(import.meta.url);
const ece = require('http_ece') as HttpEce;
// web-push is CommonJS whose exports Node cannot list for ESM named imports.
const { encrypt: webPushEncrypt, generateVAPIDKeys, getVapidHeaders } = require('web-push') as typeof import('web-push');

const SIZES = [0, 1, 15, 16, 17, 100, 1024, 3000, MAX_WEBPUSH_PLAINTEXT];

describe('interop: Web Push encryption (RFC 8291)', () => {
  const receiver = newReceiver();
  const decrypter = new WebPushDecrypter(receiver);
  const p256dh = receiver.publicKey.toString('base64url');
  const auth = receiver.auth.toString('base64url');

  it('web-push encrypt → our WebPushDecrypter', () => {
    for (const size of SIZES) {
      const payload = randomBytes(size);
      const { cipherText } = webPushEncrypt(p256dh, auth, payload, 'aes128gcm');
      assert.deepEqual(decrypter.decrypt(cipherText), payload, `size ${size}`);
    }
  });

  it('http_ece encrypt (Web Push mode) → our WebPushDecrypter', () => {
    for (const size of SIZES) {
      const payload = randomBytes(size);
      const sender = createECDH('prime256v1');
      sender.generateKeys();
      const body = ece.encrypt(payload, { version: 'aes128gcm', dh: receiver.publicKey, privateKey: sender, authSecret: receiver.auth });
      assert.deepEqual(decrypter.decrypt(body), payload, `size ${size}`);
    }
  });

  it('our encryptWebPush → http_ece decrypt (the receiver key as an ECDH object)', () => {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(receiver.privateScalar);
    for (const size of SIZES) {
      const payload = randomBytes(size);
      const body = encryptWebPush(payload, { p256dh: receiver.publicKey, auth: receiver.auth });
      const plain = ece.decrypt(body, { version: 'aes128gcm', privateKey: ecdh, authSecret: receiver.auth });
      assert.deepEqual(plain, payload, `size ${size}`);
    }
  });

  it('http_ece reproduces the RFC 8291 vector body we produce', () => {
    const v = loadVectors().rfc8291_appendix_a;
    const sender = createECDH('prime256v1');
    sender.setPrivateKey(b64(v.as_private));
    const theirs = ece.encrypt(b64(v.plaintext), { version: 'aes128gcm', dh: b64(v.ua_public), privateKey: sender, salt: b64(v.salt), authSecret: b64(v.auth_secret) });
    const ours = encryptWebPush(b64(v.plaintext), { p256dh: b64(v.ua_public), auth: b64(v.auth_secret) }, { salt: b64(v.salt), ephemeralPrivateKey: b64(v.as_private) });
    assert.deepEqual(ours, theirs);
  });
});

describe('interop: aes128gcm (RFC 8188) with http_ece, several records', () => {
  for (const rs of [18, 25, 100, 4096]) {
    it(`rs ${rs}: both directions`, () => {
      for (const size of [0, 1, 7, 8, 9, 50, 1000]) {
        const key = randomBytes(16);
        const payload = randomBytes(size);
        const ours = encryptAes128gcm(payload, { ikm: key, rs });
        assert.deepEqual(ece.decrypt(ours, { version: 'aes128gcm', key }), payload, `ours→ece size ${size}`);
        const theirs = ece.encrypt(payload, { version: 'aes128gcm', key, rs });
        assert.deepEqual(decryptAes128gcm(theirs, { ikm: key }), payload, `ece→ours size ${size}`);
        const padded = ece.encrypt(payload, { version: 'aes128gcm', key, rs, pad: 3 });
        assert.deepEqual(decryptAes128gcm(padded, { ikm: key }), payload, `ece padded→ours size ${size}`);
      }
    });
  }
});

describe('interop: VAPID (RFC 8292)', () => {
  const audience = 'https://push.example.net';

  it('web-push getVapidHeaders → our VapidVerifier', async () => {
    const keys = generateVAPIDKeys();
    const verifier = new VapidVerifier();
    for (let i = 0; i < 5; i++) {
      const { Authorization } = getVapidHeaders(audience, 'mailto:ops@example.net', keys.publicKey, keys.privateKey, 'aes128gcm');
      const verified = await verifier.verify(Authorization, audience);
      assert.equal(verified.publicKey.toString('base64url'), keys.publicKey);
      assert.equal(verified.subject, 'mailto:ops@example.net');
      assert.ok(verified.expires > Date.now() / 1000);
    }
    await assert.rejects(
      verifier.verify(getVapidHeaders(audience, 'mailto:a@b.c', keys.publicKey, keys.privateKey, 'aes128gcm').Authorization, 'https://other.example'),
      { name: 'VapidError', code: 'ERR_VAPID_INVALID' },
    );
  });

  it('our token (signed with a web-push generated key) verifies with jose and with @noble/curves', async () => {
    const keys = generateVAPIDKeys();
    const publicKey = b64(keys.publicKey);
    const privateKey = createPrivateKey({
      format: 'jwk',
      key: { kty: 'EC', crv: 'P-256', d: keys.privateKey, x: publicKey.subarray(1, 33).toString('base64url'), y: publicKey.subarray(33).toString('base64url') },
    });
    // Every signature is fresh (ttl short enough that nothing is reused across audiences).
    const signer = new VapidSigner({ privateKey, publicKey, subject: 'mailto:ops@example.net' });
    const jwk = { kty: 'EC', crv: 'P-256', x: publicKey.subarray(1, 33).toString('base64url'), y: publicKey.subarray(33).toString('base64url') };
    const joseKey = await importJWK(jwk, 'ES256');
    for (let i = 0; i < 20; i++) {
      const aud = `${audience}:${1000 + i}`;
      const { token, key } = parseVapidAuthorization(await signer.authorization(aud));
      assert.deepEqual(key, publicKey);

      const { payload, protectedHeader } = await jwtVerify(token, joseKey, { algorithms: ['ES256'], audience: aud });
      assert.equal(protectedHeader.alg, 'ES256');
      assert.equal(protectedHeader.typ, 'JWT');
      assert.equal(payload.sub, 'mailto:ops@example.net');
      assert.ok(typeof payload.exp === 'number' && payload.exp - Date.now() / 1000 <= 86_400);
      await compactVerify(token, joseKey);

      const [h, p, s] = token.split('.') as [string, string, string];
      const signature = b64(s);
      assert.equal(signature.length, 64, 'raw r‖s');
      // OpenSSL does not normalise s, so accept high-S like any JWS verifier.
      assert.ok(p256.verify(signature, Buffer.from(`${h}.${p}`, 'ascii'), publicKey, { lowS: false }));
      assert.ok(!p256.verify(signature, Buffer.from(`${h}.${p}x`, 'ascii'), publicKey, { lowS: false }));
    }
  });

  it('a token signed by @noble/curves verifies with our VapidVerifier', async () => {
    const secretKey = p256.utils.randomSecretKey();
    const publicKey = Buffer.from(p256.getPublicKey(secretKey, false));
    const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const input = `${enc({ typ: 'JWT', alg: 'ES256' })}.${enc({ aud: audience, exp: Math.floor(Date.now() / 1000) + 3600, sub: 'mailto:n@example.net' })}`;
    const sig = Buffer.from(p256.sign(Buffer.from(input, 'ascii'), secretKey)).toString('base64url');
    const verified = await new VapidVerifier().verify(`vapid t=${input}.${sig}, k=${publicKey.toString('base64url')}`, audience);
    assert.deepEqual(verified.publicKey, publicKey);
  });
});

describe('interop: ECDH with @noble/curves', () => {
  it('noble getSharedSecret x-coordinate equals ours', () => {
    for (let i = 0; i < 10; i++) {
      const a = newP256Key();
      const b = newP256Key();
      assert.deepEqual(Buffer.from(p256.getPublicKey(a.privateScalar, false)), a.publicKey);
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(a.privateScalar);
      const ours = ecdhSecret(ecdh, b.publicKey);
      const noble = p256.getSharedSecret(b.privateScalar, a.publicKey);
      assert.equal(noble.length, 33);
      assert.deepEqual(ours, Buffer.from(noble.subarray(1)));
    }
  });

  it('on the RFC 8291 vector', () => {
    const v = loadVectors().rfc8291_appendix_a;
    const noble = p256.getSharedSecret(b64(v.ua_private), b64(v.as_public));
    assert.equal(Buffer.from(noble.subarray(1)).toString('base64url'), v.ecdh_secret);
  });
});
