import { strict as assert } from 'node:assert';
import { chmod, mkdir, readFile, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createIdentity, identityExists, loadIdentity, openIdentity } from '../../src/identity/index.js';
import { pushmeshError } from '../helpers/errors.js';
import { generatePrivateKey, pkcs8Pem, uncompressedPublicKey } from '../helpers/keys.js';
import { tempHome } from '../helpers/temp-dir.js';

const posix = process.platform !== 'win32';

describe('createIdentity', () => {
  it('creates the home (0700) with key.pem and auth (0600), cert.pem and peers/', async (t) => {
    const home = await tempHome(t);
    const identity = await createIdentity(home);
    assert.deepEqual((await readdir(home)).sort(), ['auth', 'cert.pem', 'key.pem', 'peers']);
    if (posix) {
      assert.equal((await stat(home)).mode & 0o777, 0o700);
      assert.equal((await stat(join(home, 'peers'))).mode & 0o777, 0o700);
      assert.equal((await stat(join(home, 'key.pem'))).mode & 0o777, 0o600);
      assert.equal((await stat(join(home, 'auth'))).mode & 0o777, 0o600);
    }
    const keyPem = await readFile(join(home, 'key.pem'), 'utf8');
    assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(keyPem, identity.privateKeyPem);
    assert.equal((await readFile(join(home, 'auth'), 'utf8')).trim(), identity.auth.toString('base64url'));
    assert.equal(identity.auth.length, 16);
    assert.equal(identity.publicKey.length, 65);
    assert.equal(identity.privateScalar.length, 32);
    assert.equal(identity.privateScalar.toString('base64url'), identity.privateKey.export({ format: 'jwk' }).d);
    assert.ok(uncompressedPublicKey(identity.privateKey).equals(identity.publicKey));
  });

  it('loadIdentity returns the same identity', async (t) => {
    const home = await tempHome(t);
    const created = await createIdentity(home);
    const loaded = await loadIdentity(home);
    assert.equal(loaded.id, created.id);
    assert.ok(loaded.publicKey.equals(created.publicKey));
    assert.ok(loaded.privateScalar.equals(created.privateScalar));
    assert.ok(loaded.auth.equals(created.auth));
    assert.equal(loaded.vip6, created.vip6);
    assert.equal(loaded.certificatePem, created.certificatePem);
  });

  it('refuses to replace an identity without force, replaces it with force', async (t) => {
    const home = await tempHome(t);
    const first = await createIdentity(home);
    await assert.rejects(createIdentity(home), pushmeshError('ERR_IDENTITY_EXISTS', /already exists/));
    assert.equal((await loadIdentity(home)).id, first.id);
    const second = await createIdentity(home, { force: true });
    assert.notEqual(second.id, first.id);
    assert.equal((await loadIdentity(home)).id, second.id);
  });

  it('of two racing creations, exactly one wins', async (t) => {
    const home = await tempHome(t);
    const results = await Promise.allSettled([createIdentity(home), createIdentity(home), createIdentity(home)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1);
    for (const r of results) if (r.status === 'rejected') pushmeshError('ERR_IDENTITY_EXISTS')(r.reason);
    assert.equal((await loadIdentity(home)).id, won[0]?.status === 'fulfilled' ? won[0].value.id : '');
    assert.deepEqual((await readdir(home)).filter((n) => n.endsWith('.tmp')), []);
  });

  it('takes a given auth secret as base64url or bytes; refuses other lengths before writing', async (t) => {
    const auth = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const a = await createIdentity(await tempHome(t), { auth: auth.toString('base64url') });
    assert.ok(a.auth.equals(auth));
    const b = await createIdentity(await tempHome(t), { auth });
    assert.ok(b.auth.equals(auth));
    const home = await tempHome(t);
    for (const bad of ['AAAA', Buffer.alloc(17).toString('base64url'), 'not*base64', '']) {
      await assert.rejects(createIdentity(home, { auth: bad }), pushmeshError('ERR_BAD_ARGUMENT', /auth secret/));
    }
    await assert.rejects(createIdentity(home, { auth: new Uint8Array(15) }), pushmeshError('ERR_BAD_ARGUMENT'));
    assert.equal(await identityExists(home), false);
  });

  it('identityExists tells whether there is a key', async (t) => {
    const home = await tempHome(t);
    assert.equal(await identityExists(home), false);
    await createIdentity(home);
    assert.equal(await identityExists(home), true);
  });
});

describe('loadIdentity refusals', () => {
  it('missing identity: ERR_IDENTITY_MISSING, "run pushmesh init"', async (t) => {
    const home = await tempHome(t);
    await assert.rejects(loadIdentity(home), pushmeshError('ERR_IDENTITY_MISSING', /run pushmesh init/));
    await mkdir(home);
    await assert.rejects(loadIdentity(home), pushmeshError('ERR_IDENTITY_MISSING', /run pushmesh init/));
  });

  it('key file readable by group or others: ERR_KEY_PERMISSIONS with the path and a chmod hint', { skip: !posix }, async (t) => {
    const home = await tempHome(t);
    await createIdentity(home);
    const keyFile = join(home, 'key.pem');
    for (const mode of [0o644, 0o640, 0o604, 0o660, 0o602]) {
      await chmod(keyFile, mode);
      await assert.rejects(loadIdentity(home), pushmeshError('ERR_KEY_PERMISSIONS', new RegExp(`${keyFile}.*chmod 600 ${keyFile}`)));
    }
    await chmod(keyFile, 0o400);
    await loadIdentity(home);
  });

  const badKeys: Array<[string, () => string, RegExp]> = [
    ['not PEM', () => 'hello, I am not a key\n', /not a PEM private key/],
    ['truncated PEM', () => '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\n-----END PRIVATE KEY-----\n', /could not be parsed/],
    ['P-384', () => pkcs8Pem(generatePrivateKey('p384')), /key is not a P-256 key/],
    ['secp256k1', () => pkcs8Pem(generatePrivateKey('secp256k1')), /key is not a P-256 key/],
    ['Ed25519', () => pkcs8Pem(generatePrivateKey('ed25519')), /key is not a P-256 key/],
    ['RSA', () => pkcs8Pem(generatePrivateKey('rsa')), /key is not a P-256 key/],
  ];
  for (const [name, pem, message] of badKeys) {
    it(`key file with ${name}: ERR_IDENTITY_INVALID`, async (t) => {
      const home = await tempHome(t);
      await createIdentity(home);
      await writeFile(join(home, 'key.pem'), pem(), { mode: 0o600 });
      await assert.rejects(loadIdentity(home), pushmeshError('ERR_IDENTITY_INVALID', message));
    });
  }

  it('auth secret missing or not 16 bytes: ERR_IDENTITY_INVALID', async (t) => {
    const home = await tempHome(t);
    await createIdentity(home);
    const authFile = join(home, 'auth');
    for (const [content, message] of [
      [Buffer.alloc(15).toString('base64url'), /16 bytes \(got 15\)/],
      [Buffer.alloc(32).toString('base64url'), /16 bytes \(got 32\)/],
      ['', /16 bytes \(got 0\)/],
      ['!!not base64!!', /not valid base64url/],
    ] as const) {
      await writeFile(authFile, content);
      await assert.rejects(loadIdentity(home), pushmeshError('ERR_IDENTITY_INVALID', message));
    }
    await unlink(authFile);
    await assert.rejects(loadIdentity(home), pushmeshError('ERR_IDENTITY_INVALID', /auth secret file .* is missing/));
  });
});

describe('openIdentity', () => {
  it('creates on first use, loads afterwards, never replaces a broken identity', async (t) => {
    const home = await tempHome(t);
    const first = await openIdentity(home);
    assert.equal(first.created, true);
    const second = await openIdentity(home);
    assert.equal(second.created, false);
    assert.equal(second.identity.id, first.identity.id);
    await writeFile(join(home, 'key.pem'), 'garbage', { mode: 0o600 });
    await assert.rejects(openIdentity(home), pushmeshError('ERR_IDENTITY_INVALID'));
    assert.equal(await readFile(join(home, 'key.pem'), 'utf8'), 'garbage');
  });
});
