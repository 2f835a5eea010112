import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  encryptAes128gcm,
  encryptWebPush,
  MAX_WEBPUSH_BODY,
  MAX_WEBPUSH_PLAINTEXT,
  parseAes128gcmHeader,
  WebPushDecrypter,
} from '../../src/webpush/index.js';
import { createECDH } from 'node:crypto';
import { newKeyInfo, KEY_INFO_AS_OFFSET, webPushIkm } from '../../src/webpush/rfc8291-keys.js';
import { newReceiver } from './keys.js';

const receiver = newReceiver();
const recipient = { p256dh: receiver.publicKey, auth: receiver.auth };
const decrypter = new WebPushDecrypter(receiver);
const notOnCurve = Buffer.concat([Buffer.of(4), Buffer.alloc(64, 1)]);

describe('encryptWebPush', () => {
  it('has the RFC 8291 limits', () => {
    assert.equal(MAX_WEBPUSH_BODY, 4096);
    assert.equal(MAX_WEBPUSH_PLAINTEXT, 3993);
  });

  it('fills exactly 4096 bytes with 3993 bytes of plaintext and refuses one more', () => {
    const plaintext = randomBytes(MAX_WEBPUSH_PLAINTEXT);
    const body = encryptWebPush(plaintext, recipient);
    assert.equal(body.length, 4096);
    assert.deepEqual(decrypter.decrypt(body), plaintext);
    assert.throws(() => encryptWebPush(randomBytes(MAX_WEBPUSH_PLAINTEXT + 1), recipient), {
      name: 'PushmeshError',
      code: 'ERR_PAYLOAD_TOO_LARGE',
    });
  });

  it('writes rs 4096, a 65-byte keyid and a fresh key and salt per message', () => {
    const a = parseAes128gcmHeader(encryptWebPush(Buffer.from('x'), recipient));
    const b = parseAes128gcmHeader(encryptWebPush(Buffer.from('x'), recipient));
    assert.equal(a.rs, 4096);
    assert.equal(a.keyid.length, 65);
    assert.equal(a.keyid[0], 4);
    assert.notDeepEqual(a.keyid, b.keyid);
    assert.notDeepEqual(a.salt, b.salt);
  });

  it('refuses a bad recipient key or auth with ERR_BAD_KEY', () => {
    const badKey = { name: 'PushmeshError', code: 'ERR_BAD_KEY' };
    assert.throws(() => encryptWebPush(Buffer.alloc(1), { p256dh: notOnCurve, auth: receiver.auth }), badKey);
    assert.throws(() => encryptWebPush(Buffer.alloc(1), { p256dh: receiver.publicKey.subarray(0, 64), auth: receiver.auth }), badKey);
    const compressed = Buffer.concat([Buffer.of(2 + (receiver.publicKey[64]! & 1)), receiver.publicKey.subarray(1, 33)]);
    assert.throws(() => encryptWebPush(Buffer.alloc(1), { p256dh: compressed, auth: receiver.auth }), badKey);
    assert.throws(() => encryptWebPush(Buffer.alloc(1), { p256dh: receiver.publicKey, auth: randomBytes(15) }), badKey);
    assert.throws(() => encryptWebPush(Buffer.alloc(1), { p256dh: receiver.publicKey, auth: randomBytes(32) }), badKey);
    assert.throws(() => encryptWebPush(Buffer.alloc(1), recipient, { ephemeralPrivateKey: Buffer.alloc(32) }), badKey);
  });
});

describe('WebPushDecrypter', () => {
  it('refuses keys that do not belong together', () => {
    const other = newReceiver();
    assert.throws(() => new WebPushDecrypter({ ...receiver, publicKey: other.publicKey }), { code: 'ERR_BAD_KEY' });
    assert.throws(() => new WebPushDecrypter({ ...receiver, auth: randomBytes(8) }), { code: 'ERR_BAD_KEY' });
    assert.throws(() => new WebPushDecrypter({ ...receiver, privateScalar: Buffer.alloc(32) }), { code: 'ERR_BAD_KEY' });
  });

  it('refuses bodies over 4096 bytes', () => {
    const body = Buffer.concat([encryptWebPush(randomBytes(MAX_WEBPUSH_PLAINTEXT), recipient), Buffer.of(0)]);
    assert.throws(() => decrypter.decrypt(body), { name: 'DecryptError', detail: 'body larger than 4096 bytes' });
  });

  /** A correctly keyed RFC 8188 body from a Web Push sender, with free rs and padding. */
  function senderBody(plaintext: Buffer, rs: number, padding = 0): Buffer {
    const ephemeral = createECDH('prime256v1');
    const asPublic = ephemeral.generateKeys();
    const info = newKeyInfo(receiver.publicKey);
    info.set(asPublic, KEY_INFO_AS_OFFSET);
    const ikm = webPushIkm(receiver.auth, ephemeral.computeSecret(receiver.publicKey), info);
    return encryptAes128gcm(plaintext, { ikm, rs, keyid: asPublic, padding });
  }

  it('accepts any rs that keeps the body a single record, and padding', () => {
    const plaintext = randomBytes(100);
    assert.deepEqual(decrypter.decrypt(senderBody(plaintext, 117)), plaintext);
    assert.deepEqual(decrypter.decrypt(senderBody(plaintext, 4096, 50)), plaintext);
    assert.deepEqual(decrypter.decrypt(senderBody(plaintext, 2 ** 32 - 1)), plaintext);
  });

  it('refuses more than one record', () => {
    const body = senderBody(randomBytes(100), 116);
    assert.throws(() => decrypter.decrypt(body), { name: 'DecryptError', detail: 'more than one record' });
  });

  it('refuses a keyid that is not a 65-byte point', () => {
    const ephemeral = createECDH('prime256v1');
    const shortId = encryptAes128gcm(Buffer.from('x'), { ikm: randomBytes(32), keyid: (ephemeral.generateKeys(), ephemeral.getPublicKey(null, 'compressed')) });
    assert.throws(() => decrypter.decrypt(shortId), { detail: 'keyid is not a 65-byte uncompressed point' });
    const offCurve = encryptAes128gcm(Buffer.from('x'), { ikm: randomBytes(32), keyid: notOnCurve });
    assert.throws(() => decrypter.decrypt(offCurve), { detail: 'sender key is not a point on P-256' });
  });

  it('refuses another receiver’s message', () => {
    const other = newReceiver();
    const body = encryptWebPush(Buffer.from('x'), { p256dh: other.publicKey, auth: other.auth });
    assert.throws(() => decrypter.decrypt(body), { detail: 'authentication failed' });
    const wrongAuth = encryptWebPush(Buffer.from('x'), { p256dh: receiver.publicKey, auth: randomBytes(16) });
    assert.throws(() => decrypter.decrypt(wrongAuth), { detail: 'authentication failed' });
  });
});
