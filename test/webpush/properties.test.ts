import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DecryptError, VapidError } from '../../src/errors/index.js';
import {
  decryptAes128gcm,
  encryptAes128gcm,
  encryptWebPush,
  formatVapidAuthorization,
  MAX_WEBPUSH_PLAINTEXT,
  parseVapidAuthorization,
  VapidSigner,
  VapidVerifier,
  WebPushDecrypter,
} from '../../src/webpush/index.js';
import { newP256Key, newReceiver } from './keys.js';

const RUNS = 300;
const receiver = newReceiver();
const recipient = { p256dh: receiver.publicKey, auth: receiver.auth };
const decrypter = new WebPushDecrypter(receiver);
const RS_FIELD = [16, 20] as const; // bytes 16..19: the record size

/** Calls `fn`; a DecryptError is the expected outcome, anything else thrown fails the property. */
function decryptOutcome(fn: () => Buffer): Buffer | DecryptError {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DecryptError) return err;
    throw err;
  }
}

describe('properties: Web Push bodies', () => {
  it('random plaintexts of 0..3993 bytes round-trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: MAX_WEBPUSH_PLAINTEXT }), (plaintext) => {
        const body = encryptWebPush(plaintext, recipient);
        assert.ok(body.length <= 4096);
        assert.deepEqual(decrypter.decrypt(body), Buffer.from(plaintext));
      }),
      { numRuns: RUNS },
    );
  });

  it('any single-byte change gives DecryptError (or, in rs alone, the same plaintext)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (plaintext, where, xor) => {
          const body = encryptWebPush(plaintext, recipient);
          const at = where % body.length;
          body[at]! ^= xor;
          const out = decryptOutcome(() => decrypter.decrypt(body));
          if (at >= RS_FIELD[0] && at < RS_FIELD[1] && !(out instanceof DecryptError)) {
            // rs is not authenticated (RFC 8188); any rs that still holds the one record decrypts the same.
            assert.deepEqual(out, Buffer.from(plaintext));
          } else {
            assert.ok(out instanceof DecryptError, `byte ${at} changed yet decrypted`);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('any truncation or extension gives DecryptError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 40 }), (plaintext, cut, extra) => {
        const body = encryptWebPush(plaintext, recipient);
        const truncated = body.subarray(0, cut % body.length);
        assert.ok(decryptOutcome(() => decrypter.decrypt(truncated)) instanceof DecryptError);
        const extended = Buffer.concat([body, extra]);
        assert.ok(decryptOutcome(() => decrypter.decrypt(extended)) instanceof DecryptError);
      }),
      { numRuns: RUNS },
    );
  });

  it('any replaced header field gives DecryptError (rs: or the same plaintext)', () => {
    const field = fc.oneof(
      fc.record({ salt: fc.uint8Array({ minLength: 16, maxLength: 16 }) }),
      fc.record({ rs: fc.nat({ max: 0xffff_ffff }) }),
      fc.record({ idlen: fc.integer({ min: 0, max: 255 }).filter((n) => n !== 65) }),
      fc.record({ keyid: fc.uint8Array({ minLength: 65, maxLength: 65 }) }),
      fc.record({ keyid: fc.constant(null).map(() => newP256Key().publicKey) }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), field, (plaintext, change) => {
        const body = encryptWebPush(plaintext, recipient);
        if ('salt' in change) body.set(change.salt, 0);
        if ('rs' in change) body.writeUInt32BE(change.rs, 16);
        if ('idlen' in change) body[20] = change.idlen;
        if ('keyid' in change) body.set(change.keyid, 21);
        const out = decryptOutcome(() => decrypter.decrypt(body));
        // RFC 8188 §2: rs below 18 is invalid whatever the body.
        if ('rs' in change && change.rs >= Math.max(18, body.length - 86)) {
          assert.deepEqual(out, Buffer.from(plaintext));
        } else {
          assert.ok(out instanceof DecryptError, JSON.stringify(Object.keys(change)));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a wrong receiver key or auth gives DecryptError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean(), (plaintext, auth, otherKey) => {
        const wrong = otherKey ? { ...newReceiver(), auth: receiver.auth } : { ...receiver, auth: Buffer.from(auth) };
        fc.pre(otherKey || !Buffer.from(auth).equals(receiver.auth));
        const body = encryptWebPush(plaintext, recipient);
        assert.ok(decryptOutcome(() => new WebPushDecrypter(wrong).decrypt(body)) instanceof DecryptError);
      }),
      { numRuns: RUNS },
    );
  });

  it('random bytes only ever give DecryptError', () => {
    const header = fc.record({
      salt: fc.uint8Array({ minLength: 16, maxLength: 16 }),
      rs: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.nat({ max: 0xffff_ffff })),
      keyid: fc.uint8Array({ maxLength: 80 }),
    });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), header, fc.boolean(), fc.uint8Array({ maxLength: 32 }), (tail, h, withHeader, ikm) => {
        let body = Buffer.from(tail);
        if (withHeader) {
          const head = Buffer.alloc(21);
          head.set(h.salt);
          head.writeUInt32BE(h.rs, 16);
          head[20] = h.keyid.length;
          body = Buffer.concat([head, h.keyid, body]);
        }
        assert.ok(decryptOutcome(() => decryptAes128gcm(body, { ikm })) instanceof DecryptError);
        assert.ok(decryptOutcome(() => decrypter.decrypt(body)) instanceof DecryptError);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('aes128gcm, several records: any single-byte change gives DecryptError or the same plaintext, never another', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 18, max: 80 }),
        fc.uint8Array({ maxLength: 8 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (plaintext, rs, keyid, where, xor) => {
          const ikm = Buffer.alloc(16, 9);
          const body = encryptAes128gcm(plaintext, { ikm, rs, keyid });
          const at = where % body.length;
          body[at]! ^= xor;
          const out = decryptOutcome(() => decryptAes128gcm(body, { ikm }));
          const unauthenticated = (at >= 16 && at < 20) || (at >= 21 && at < 21 + keyid.length); // rs, keyid
          if (!(out instanceof DecryptError)) {
            assert.ok(unauthenticated, `byte ${at} changed yet decrypted`);
            assert.deepEqual(out, Buffer.from(plaintext));
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('aes128gcm round-trips for any rs, keyid and padding', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.integer({ min: 18, max: 300 }),
        fc.uint8Array({ maxLength: 255 }),
        fc.nat({ max: 100 }),
        fc.uint8Array({ minLength: 1, maxLength: 32 }),
        (plaintext, rs, keyid, padding, ikm) => {
          const body = encryptAes128gcm(plaintext, { ikm, rs, keyid, padding });
          let seen: Buffer | undefined;
          const out = decryptAes128gcm(body, { ikm: (id) => ((seen = Buffer.from(id)), ikm) });
          assert.deepEqual(out, Buffer.from(plaintext));
          assert.deepEqual(seen, Buffer.from(keyid));
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('properties: VAPID', () => {
  const AUD = 'https://relay.example.com';
  const T0 = Date.UTC(2031, 5, 1);
  const sender = newP256Key();
  const signer = new VapidSigner({ ...sender, now: () => T0 });
  const verifier = new VapidVerifier({ now: () => T0 });

  async function vapidOutcome(header: string): Promise<'ok' | VapidError> {
    try {
      await verifier.verify(header, AUD);
      return 'ok';
    } catch (err) {
      if (err instanceof VapidError) return err;
      throw err;
    }
  }

  it('a changed token character or key byte gives VapidError', async () => {
    const { token, key } = parseVapidAuthorization(await signer.authorization(AUD));
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), async (inToken, where, pick, xor) => {
        let header: string;
        if (inToken) {
          const at = where % token.length;
          const replacement = alphabet[pick % alphabet.length]!;
          fc.pre(replacement !== token[at]);
          const changed = token.slice(0, at) + replacement + token.slice(at + 1);
          // Base64url's last character can carry unused bits: a change there may decode to the same bytes.
          fc.pre(!sameBytes(changed, token));
          header = formatVapidAuthorization(changed, key);
        } else {
          const changed = Buffer.from(key);
          changed[where % 65]! ^= xor;
          header = `vapid t=${token}, k=${changed.toString('base64url')}`;
        }
        assert.ok((await vapidOutcome(header)) instanceof VapidError);
      }),
      { numRuns: RUNS },
    );
    assert.equal(await vapidOutcome(formatVapidAuthorization(token, key)), 'ok');
  });

  it('random strings into parseVapidAuthorization only ever give VapidError', () => {
    const k = sender.publicKey.toString('base64url');
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ maxLength: 200 }).map((s) => `vapid ${s}`),
      fc.tuple(fc.string({ maxLength: 80 }), fc.string({ maxLength: 100 })).map(([t, kk]) => `vapid t=${t}, k=${kk}`),
      fc.tuple(fc.string({ maxLength: 80 }), fc.nat({ max: 10 })).map(([t, cut]) => `vapid t=${t}, k=${k.slice(cut)}`),
    );
    fc.assert(
      fc.property(text, (header) => {
        try {
          const parsed = parseVapidAuthorization(header);
          assert.equal(parsed.key.length, 65);
        } catch (err) {
          if (!(err instanceof VapidError)) throw err;
          assert.equal(err.code, 'ERR_VAPID_INVALID');
        }
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('random headers into VapidVerifier only ever give VapidError', async () => {
    const k = sender.publicKey.toString('base64url');
    const b64 = fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b).toString('base64url'));
    const header = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.tuple(b64, b64, b64).map(([h, p, s]) => `vapid t=${h}.${p}.${s}, k=${k}`),
      fc.tuple(fc.json(), fc.json(), b64).map(
        ([h, p, s]) => `vapid t=${Buffer.from(h).toString('base64url')}.${Buffer.from(p).toString('base64url')}.${s}, k=${k}`,
      ),
    );
    await fc.assert(
      fc.asyncProperty(header, async (h) => {
        assert.ok((await vapidOutcome(h)) instanceof VapidError);
      }),
      { numRuns: RUNS },
    );
  });
});

function sameBytes(a: string, b: string): boolean {
  return a.split('.').every((part, i) => Buffer.from(part, 'base64url').equals(Buffer.from(b.split('.')[i] ?? '', 'base64url')));
}
