import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignJWT, type JWTPayload } from 'jose';
import {
  DEFAULT_VAPID_SUBJECT,
  formatVapidAuthorization,
  parseVapidAuthorization,
  VapidSigner,
  VapidVerifier,
} from '../../src/webpush/index.js';
import { newP256Key, type P256TestKey } from './keys.js';

const AUD = 'https://node.example.org:15443';
const T0 = Date.UTC(2030, 0, 1); // a fixed clock, Unix ms
const T0s = T0 / 1000;
const invalid = (detail?: string) => ({ name: 'VapidError', code: 'ERR_VAPID_INVALID', ...(detail ? { detail } : {}) });

/** A hand-made token, for claims the signer would never produce. */
async function token(key: P256TestKey, claims: JWTPayload, alg = 'ES256'): Promise<string> {
  const jwt = await new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(key.privateKey);
  return formatVapidAuthorization(jwt, key.publicKey);
}

describe('VapidVerifier', () => {
  const sender = newP256Key();

  it('accepts a good token and reports key, subject and expiry', async () => {
    const signer = new VapidSigner({ ...sender, now: () => T0 });
    const verified = await new VapidVerifier({ now: () => T0 }).verify(await signer.authorization(AUD), AUD);
    assert.deepEqual(verified.publicKey, sender.publicKey);
    assert.equal(verified.subject, DEFAULT_VAPID_SUBJECT);
    assert.equal(verified.expires, T0s + 12 * 3600);
  });

  it('missing or blank header is ERR_VAPID_MISSING', async () => {
    const verifier = new VapidVerifier();
    await assert.rejects(verifier.verify(undefined, AUD), { name: 'VapidError', code: 'ERR_VAPID_MISSING' });
    await assert.rejects(verifier.verify('  ', AUD), { code: 'ERR_VAPID_MISSING' });
    await assert.rejects(verifier.verify('Bearer abc', AUD), invalid('scheme is not vapid'));
  });

  it('refuses an expired token, cached or not', async () => {
    let now = T0;
    const verifier = new VapidVerifier({ now: () => now });
    const header = await token(sender, { aud: AUD, exp: T0s + 600 });
    await verifier.verify(header, AUD);
    now = T0 + 599_000;
    await verifier.verify(header, AUD);
    now = T0 + 600_000;
    await assert.rejects(verifier.verify(header, AUD), invalid('expired'));
    await assert.rejects(new VapidVerifier({ now: () => now }).verify(header, AUD), invalid('expired'));
    assert.equal(verifier.stats.signatureChecks, 1);
  });

  it('refuses exp more than 24 h ahead, and a missing exp', async () => {
    const verifier = new VapidVerifier({ now: () => T0 });
    await verifier.verify(await token(sender, { aud: AUD, exp: T0s + 86_400 }), AUD);
    await verifier.verify(await token(sender, { aud: AUD, exp: T0s + 86_400 + 60 }), AUD); // clock tolerance
    await assert.rejects(verifier.verify(await token(sender, { aud: AUD, exp: T0s + 86_400 + 61 }), AUD), invalid('exp too far ahead'));
    await assert.rejects(verifier.verify(await token(sender, { aud: AUD, exp: T0s + 7 * 86_400 }), AUD), invalid('exp too far ahead'));
    await assert.rejects(verifier.verify(await token(sender, { aud: AUD }), AUD), invalid('exp missing or not a number'));
    await assert.rejects(verifier.verify(await token(sender, { aud: AUD, exp: '1' as unknown as number }), AUD), invalid());
    const strict = new VapidVerifier({ now: () => T0, maxTtlSeconds: 3600, clockToleranceSeconds: 0 });
    await assert.rejects(strict.verify(await token(sender, { aud: AUD, exp: T0s + 3601 }), AUD), invalid('exp too far ahead'));
  });

  it('refuses a wrong or missing aud, cached or not', async () => {
    const verifier = new VapidVerifier({ now: () => T0 });
    const header = await token(sender, { aud: AUD, exp: T0s + 3600 });
    await assert.rejects(verifier.verify(header, 'https://evil.example'), invalid('aud does not match'));
    await verifier.verify(header, AUD);
    await assert.rejects(verifier.verify(header, 'https://evil.example'), invalid('aud does not match'));
    await assert.rejects(verifier.verify(header, `${AUD}/`), invalid('aud does not match'));
    await assert.rejects(verifier.verify(await token(sender, { exp: T0s + 3600 }), AUD), invalid('aud missing or not a string'));
    await verifier.verify(await token(sender, { aud: ['pushmesh://x', AUD], exp: T0s + 3600 }), AUD);
  });

  it('refuses nbf in the future', async () => {
    const verifier = new VapidVerifier({ now: () => T0 });
    await assert.rejects(verifier.verify(await token(sender, { aud: AUD, exp: T0s + 3600, nbf: T0s + 600 }), AUD), invalid('not yet valid (nbf)'));
    await verifier.verify(await token(sender, { aud: AUD, exp: T0s + 3600, nbf: T0s - 1 }), AUD);
  });

  it('refuses other algorithms, alg none, and a signature by another key', async () => {
    const verifier = new VapidVerifier({ now: () => T0 });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    const es384 = await new SignJWT({ aud: AUD, exp: T0s + 60 }).setProtectedHeader({ alg: 'ES384' }).sign(p384);
    await assert.rejects(verifier.verify(formatVapidAuthorization(es384, sender.publicKey), AUD), invalid('alg is not ES256'));
    const hs256 = await new SignJWT({ aud: AUD, exp: T0s + 60 }).setProtectedHeader({ alg: 'HS256' }).sign(sender.publicKey);
    await assert.rejects(verifier.verify(formatVapidAuthorization(hs256, sender.publicKey), AUD), invalid('alg is not ES256'));
    const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const none = `${enc({ alg: 'none' })}.${enc({ aud: AUD, exp: T0s + 60 })}.AAAA`;
    await assert.rejects(verifier.verify(formatVapidAuthorization(none, sender.publicKey), AUD), invalid());

    const other = newP256Key();
    const forged = parseVapidAuthorization(await token(other, { aud: AUD, exp: T0s + 60 })).token;
    await assert.rejects(verifier.verify(formatVapidAuthorization(forged, sender.publicKey), AUD), invalid('bad signature'));
  });

  it('refuses a k that is not a point on P-256', async () => {
    const header = await token(sender, { aud: AUD, exp: T0s + 60 });
    const { token: jwt } = parseVapidAuthorization(header);
    const offCurve = Buffer.concat([Buffer.of(4), Buffer.alloc(64, 7)]);
    await assert.rejects(new VapidVerifier({ now: () => T0 }).verify(formatVapidAuthorization(jwt, offCurve), AUD), invalid('k is not a point on P-256'));
  });

  it('1000 verifies of one token cost one signature check', async () => {
    const signer = new VapidSigner({ ...sender, now: () => T0 });
    const verifier = new VapidVerifier({ now: () => T0 });
    const header = await signer.authorization(AUD);
    for (let i = 0; i < 1000; i++) await verifier.verify(header, AUD);
    assert.equal(verifier.stats.signatureChecks, 1);
    assert.equal(verifier.stats.cacheHits, 999);
    assert.equal(verifier.stats.keyImports, 1);
  });

  it('concurrent verifies of a new token share one signature check', async () => {
    const verifier = new VapidVerifier({ now: () => T0 });
    const header = await token(sender, { aud: AUD, exp: T0s + 60 });
    await Promise.all(Array.from({ length: 50 }, () => verifier.verify(header, AUD)));
    assert.equal(verifier.stats.signatureChecks, 1);
  });

  it('does not cache failures, and cacheSize 0 turns the cache off', async () => {
    const verifier = new VapidVerifier({ now: () => T0 });
    const bad = formatVapidAuthorization(parseVapidAuthorization(await token(newP256Key(), { aud: AUD, exp: T0s + 60 })).token, sender.publicKey);
    await assert.rejects(verifier.verify(bad, AUD), invalid('bad signature'));
    await assert.rejects(verifier.verify(bad, AUD), invalid('bad signature'));
    assert.equal(verifier.stats.signatureChecks, 2);

    const uncached = new VapidVerifier({ now: () => T0, cacheSize: 0 });
    const header = await token(sender, { aud: AUD, exp: T0s + 60 });
    for (let i = 0; i < 5; i++) await uncached.verify(header, AUD);
    assert.equal(uncached.stats.signatureChecks, 5);
    assert.equal(uncached.stats.keyImports, 1);
  });

  it('treats padded and unpadded k as the same key', async () => {
    const verifier = new VapidVerifier({ now: () => T0 });
    const header = await token(sender, { aud: AUD, exp: T0s + 60 });
    await verifier.verify(header, AUD);
    await verifier.verify(`${header}=`, AUD);
    assert.equal(verifier.stats.signatureChecks, 1);
  });
});

describe('VapidSigner', () => {
  const sender = newP256Key();

  it('reuses its token per audience and renews it near expiry', async () => {
    let now = T0;
    const signer = new VapidSigner({ ...sender, ttlSeconds: 7200, renewBeforeSeconds: 600, now: () => now });
    const first = await signer.authorization(AUD);
    assert.equal(await signer.authorization(AUD), first);
    const other = await signer.authorization('pushmesh://abc');
    assert.notEqual(other, first);
    assert.equal(signer.stats.signatures, 2);

    now = T0 + (7200 - 601) * 1000; // 601 s left: still reused
    assert.equal(await signer.authorization(AUD), first);
    now = T0 + (7200 - 600) * 1000; // 600 s left: renewed
    const renewed = await signer.authorization(AUD);
    assert.notEqual(renewed, first);
    assert.equal(signer.stats.signatures, 3);

    const verified = await new VapidVerifier({ now: () => now }).verify(renewed, AUD);
    assert.equal(verified.expires, T0s + 7200 - 600 + 7200);
  });

  it('signs once for concurrent first calls', async () => {
    const signer = new VapidSigner({ ...sender, now: () => T0 });
    const headers = await Promise.all(Array.from({ length: 20 }, () => signer.authorization(AUD)));
    assert.equal(new Set(headers).size, 1);
    assert.equal(signer.stats.signatures, 1);
  });

  it('defaults to a 12 h token and refuses more than 24 h', async () => {
    const signer = new VapidSigner({ ...sender, subject: 'https://ops.example.org', now: () => T0 });
    const verified = await new VapidVerifier({ now: () => T0 }).verify(await signer.authorization(AUD), AUD);
    assert.equal(verified.expires - T0s, 43_200);
    assert.equal(verified.subject, 'https://ops.example.org');
    new VapidSigner({ ...sender, ttlSeconds: 86_400 });
    assert.throws(() => new VapidSigner({ ...sender, ttlSeconds: 86_401 }), { code: 'ERR_BAD_ARGUMENT' });
    assert.throws(() => new VapidSigner({ ...sender, ttlSeconds: 600, renewBeforeSeconds: 600 }), { code: 'ERR_BAD_ARGUMENT' });
  });

  it('refuses a public key that does not match, or a non-P-256 key', () => {
    assert.throws(() => new VapidSigner({ privateKey: sender.privateKey, publicKey: newP256Key().publicKey }), { code: 'ERR_BAD_KEY' });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    assert.throws(() => new VapidSigner({ privateKey: p384, publicKey: sender.publicKey }), { code: 'ERR_BAD_KEY' });
    const ed = generateKeyPairSync('ed25519').privateKey;
    assert.throws(() => new VapidSigner({ privateKey: ed, publicKey: sender.publicKey }), { code: 'ERR_BAD_KEY' });
  });

  it('refuses an empty audience', async () => {
    await assert.rejects(new VapidSigner(sender).authorization(''), { code: 'ERR_BAD_ARGUMENT' });
  });
});

describe('parseVapidAuthorization', () => {
  const key = newP256Key().publicKey;
  const k = key.toString('base64url');
  const t = 'eyJhbGciOiJFUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln';

  it('reads t and k in any order, any case, with spaces, quotes and padding', () => {
    for (const header of [
      `vapid t=${t}, k=${k}`,
      `VAPID t=${t},k=${k}`,
      `  Vapid   k = ${k} ,  t=${t}  `,
      `vapid T=${t}, K=${k}=`,
      `vapid t="${t}", k="${k}"`,
      `vapid t=${t}, k=${k}, x=y`,
      `vapid\tt=${t},\tk=${k}`,
    ]) {
      const parsed = parseVapidAuthorization(header);
      assert.equal(parsed.token, t, header);
      assert.deepEqual(parsed.key, key, header);
    }
  });

  it('refuses anything else with ERR_VAPID_INVALID', () => {
    for (const header of [
      '',
      'vapid',
      `vapidt=${t}, k=${k}`,
      `WebPush ${t}`,
      `vapid t=${t}`,
      `vapid k=${k}`,
      `vapid t=${t}, t=${t}, k=${k}`,
      `vapid t=${t}, k=${k}, k=${k}`,
      `vapid t=${t}; k=${k}`,
      `vapid t=${t}, k=${k.slice(0, -2)}`,
      `vapid t=${t}, k=${k}AA`,
      `vapid t=${t}, k=${k.replace(/^B/, 'A')}`,
      `vapid t=${t}, k=${k}+/`,
      `vapid t=${t}.x, k=${k}`,
      `vapid t=a..b, k=${k}`,
      `vapid t="${t}, k=${k}`,
      `vapid t=${t}, k=${k}\n`,
      `vapid t=${t}, k=${k}é`,
      `vapid t=${t}, k=${'A'.repeat(9000)}`,
    ]) {
      assert.throws(() => parseVapidAuthorization(header), invalid(), JSON.stringify(header));
    }
  });
});
