import { strict as assert } from 'node:assert';
import { verify as cryptoVerify } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import {
  ConfigRefusedError,
  decodeSignedConfig,
  MAX_SIGNED_CONFIG_LENGTH,
  peekConfigAddress,
  signConfig,
  verifySignedConfig,
} from '../../src/signed-config/index.js';
import { pushmeshError } from '../helpers/errors.js';
import { generatePrivateKey, referenceNodeId } from '../helpers/keys.js';
import { b64json, craftJws, headerOf, makeOwner } from './fixtures.js';

const owner = makeOwner();
const stranger = makeOwner();
const base = { namespace: 'app', name: 'settings', version: 1, data: { a: 1, list: [true, null, 'x'] } };

function refused(reason: string, detail?: RegExp): (err: unknown) => true {
  return (err: unknown) => {
    assert.ok(err instanceof ConfigRefusedError, `expected ConfigRefusedError, got ${String(err)}`);
    assert.equal(err.code, 'ERR_CONFIG_REFUSED');
    assert.equal(err.reason, reason, err.message);
    if (detail) assert.match(err.message, detail);
    return true;
  };
}

describe('signed config format', () => {
  it('signs a compact JWS with our header; the signature checks with plain node:crypto', async () => {
    const jws = await signConfig({ ...base, iat: 1_700_000_000 }, owner.privateKey);
    const [h, p, s] = jws.split('.') as [string, string, string];
    assert.deepEqual(decodeProtectedHeader(jws), { alg: 'ES256', typ: 'pushmesh-config+jws', kid: owner.id, jwk: owner.jwk });
    assert.deepEqual(JSON.parse(Buffer.from(p, 'base64url').toString()), { namespace: 'app', name: 'settings', version: 1, iat: 1_700_000_000, data: base.data });
    // RFC 7515 §5.1 / RFC 7518 §3.4: ES256 over ASCII(header.payload), r‖s, by an implementation other than jose.
    const ok = cryptoVerify('sha256', Buffer.from(`${h}.${p}`), { key: owner.privateKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
    assert.ok(ok);
  });

  it('verifies: payload, owner (the node ID of the header key), segment', async () => {
    const jws = await signConfig(base, owner.privateKey);
    const v = await verifySignedConfig(jws, { isOwner: (ns, id) => ns === 'app' && id === owner.id });
    assert.equal(v.owner, owner.id);
    assert.equal(v.payload.version, 1);
    assert.deepEqual(v.payload.data, base.data);
    assert.equal(v.payloadSegment, jws.split('.')[1]);
    assert.deepEqual(peekConfigAddress(jws), { namespace: 'app', name: 'settings', version: 1 });
    assert.equal(peekConfigAddress('nope'), undefined);
  });

  it('any JSON value is data, including null, strings and numbers', async () => {
    for (const data of [null, 0, 'text', [], {}, { nested: { deep: [1, { x: 'y' }] } }]) {
      const v = await verifySignedConfig(await signConfig({ ...base, data }, owner.privateKey));
      assert.deepEqual(v.payload.data, data);
    }
  });

  it('a tampered payload is bad_signature', async () => {
    const jws = await signConfig(base, owner.privateKey);
    const [h, p, s] = jws.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${h}.${b64json({ ...payload, data: { a: 2, list: [] } })}.${s}`;
    await assert.rejects(verifySignedConfig(tampered), refused('bad_signature'));
    // The owner check passes (the header is the owner's), the signature does not.
    await assert.rejects(verifySignedConfig(tampered, { isOwner: () => true }), refused('bad_signature'));
  });

  it('a key that is not a trusted owner is unknown_owner, checked before the signature', async () => {
    const jws = await signConfig(base, stranger.privateKey);
    await assert.rejects(verifySignedConfig(jws, { isOwner: (_ns, id) => id === owner.id }), refused('unknown_owner', new RegExp(stranger.id)));
    // Claiming the owner's key while signing with another is bad_signature.
    const forged = await craftJws(headerOf(owner), JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()), stranger.privateKey);
    await assert.rejects(verifySignedConfig(forged, { isOwner: (_ns, id) => id === owner.id }), refused('bad_signature'));
  });

  it('malformed inputs, each with its reason', async () => {
    const good = await signConfig(base, owner.privateKey);
    const [h, p, s] = good.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const cases: [unknown, RegExp][] = [
      [42, /not a string/],
      ['', /three base64url parts/],
      ['a.b', /three base64url parts/],
      [`${h}.${p}.${s}.x`, /three base64url parts/],
      [`${h}..${s}`, /payload is empty/],
      [`${h}.${p}.${s}=`, /signature is not canonical base64url/],
      [`${h}.${p}.${s.slice(0, -1)}`, /signature is not canonical base64url|not 64 bytes/],
      [`${h}.${p}.${Buffer.alloc(70).toString('base64url')}`, /not 64 bytes/],
      [`${h}.${Buffer.from('not json').toString('base64url')}.${s}`, /payload is not UTF-8 JSON/],
      [`${h}.${Buffer.from([0xff, 0xfe]).toString('base64url')}.${s}`, /payload is not UTF-8 JSON/],
      ['x'.repeat(MAX_SIGNED_CONFIG_LENGTH + 1), /longer than/],
      [`${b64json({ ...headerOf(owner), alg: 'HS256' })}.${p}.${s}`, /alg is not ES256/],
      [`${b64json({ ...headerOf(owner), typ: 'JWT' })}.${p}.${s}`, /typ is not/],
      [`${b64json({ ...headerOf(owner), kid: stranger.id })}.${p}.${s}`, /kid is not the node ID of jwk/],
      [`${b64json({ ...headerOf(owner), b64: false, crit: ['b64'] })}.${p}.${s}`, /unexpected member "b64"/],
      [`${b64json({ alg: 'ES256', typ: 'pushmesh-config+jws', kid: owner.id })}.${p}.${s}`, /lacks "jwk"/],
      [`${b64json({ ...headerOf(owner), jwk: { ...owner.jwk, d: 'AA' } })}.${p}.${s}`, /unexpected member "d"/],
      [`${b64json({ ...headerOf(owner), jwk: { ...owner.jwk, x: owner.jwk.y } })}.${p}.${s}`, /not a point on P-256|kid is not/],
      [`${b64json([1])}.${p}.${s}`, /header is not a JSON object/],
      [`${h}.${b64json({ ...payload, extra: 1 })}.${s}`, /unexpected member "extra"/],
      [`${h}.${b64json({ ...payload, version: -1 })}.${s}`, /version must be an integer/],
      [`${h}.${b64json({ ...payload, version: 1.5 })}.${s}`, /version must be an integer/],
      [`${h}.${b64json({ ...payload, version: '1' })}.${s}`, /version must be an integer/],
      [`${h}.${b64json({ ...payload, namespace: 'a.b' })}.${s}`, /namespace must be/],
      [`${h}.${b64json({ ...payload, name: '' })}.${s}`, /name must be/],
      [`${h}.${b64json({ ...payload, iat: 'now' })}.${s}`, /iat must be/],
      [`${h}.${b64json({ namespace: 'app', name: 'x', version: 1, iat: 1 })}.${s}`, /exactly one of "data" and "encrypted"/],
      [`${h}.${b64json({ ...payload, encrypted: { enc: 'aes128gcm', ciphertext: 'AA', recipients: [] } })}.${s}`, /exactly one/],
    ];
    for (const [input, detail] of cases) {
      await assert.rejects(verifySignedConfig(input), refused('malformed', detail), `input ${String(input).slice(0, 60)}`);
      assert.throws(() => decodeSignedConfig(input), refused('malformed', detail));
    }
  });

  it('a header key that is not a point on P-256 is malformed (its kid matching does not help)', async () => {
    const jws = await signConfig(base, owner.privateKey);
    const [, p, s] = jws.split('.') as [string, string, string];
    const x = Buffer.alloc(32, 1);
    const y = Buffer.alloc(32, 2);
    const kid = referenceNodeId(Buffer.concat([Buffer.of(4), x, y]));
    const header = { alg: 'ES256', typ: 'pushmesh-config+jws', kid, jwk: { kty: 'EC', crv: 'P-256', x: x.toString('base64url'), y: y.toString('base64url') } };
    await assert.rejects(verifySignedConfig(`${b64json(header)}.${p}.${s}`), refused('malformed', /not a point on P-256/));
    // Refused again (a failed import is not cached as a key).
    await assert.rejects(verifySignedConfig(`${b64json(header)}.${p}.${s}`), refused('malformed', /not a point on P-256/));
  });

  it('validly signed JWS that is not our format is malformed (signature alone is not enough)', async () => {
    const payload = { namespace: 'app', name: 'x', version: 1, iat: 1, data: 1 };
    await assert.rejects(verifySignedConfig(await craftJws({ typ: 'pushmesh-config+jws', kid: owner.id }, payload, owner.privateKey)), refused('malformed', /lacks "jwk"/));
    await assert.rejects(verifySignedConfig(await craftJws({ ...headerOf(owner), x5c: ['AA'] }, payload, owner.privateKey)), refused('malformed', /unexpected member "x5c"/));
    const { encrypted: _e, ...noData } = { ...payload, data: undefined, encrypted: undefined };
    await assert.rejects(verifySignedConfig(await craftJws(headerOf(owner), noData, owner.privateKey)), refused('malformed'));
  });

  it('sign refuses bad input with one clear error', async () => {
    await assert.rejects(signConfig({ ...base, namespace: 'a/b' }, owner.privateKey), pushmeshError('ERR_BAD_ARGUMENT', /namespace "a\/b" must be/));
    await assert.rejects(signConfig({ ...base, name: 'x'.repeat(65) }, owner.privateKey), pushmeshError('ERR_BAD_ARGUMENT', /name/));
    await assert.rejects(signConfig({ ...base, version: -1 }, owner.privateKey), pushmeshError('ERR_BAD_ARGUMENT', /version/));
    await assert.rejects(signConfig({ ...base, version: 2 ** 53 }, owner.privateKey), pushmeshError('ERR_BAD_ARGUMENT', /version/));
    await assert.rejects(signConfig({ ...base, data: undefined }, owner.privateKey), pushmeshError('ERR_BAD_ARGUMENT', /no JSON form/));
    await assert.rejects(signConfig(base, generatePrivateKey('p384')), pushmeshError('ERR_BAD_KEY'));
    await assert.rejects(signConfig({ ...base, data: 'x'.repeat(MAX_SIGNED_CONFIG_LENGTH) }, owner.privateKey), pushmeshError('ERR_PAYLOAD_TOO_LARGE'));
  });
});
