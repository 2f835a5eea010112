import { strict as assert } from 'node:assert';
import { createPublicKey } from 'node:crypto';
import { describe, it } from 'node:test';
import { createIdentity, loadIdentity, parsePrivateKeyPem } from '../../src/identity/index.js';
import { pushmeshError } from '../helpers/errors.js';
import { generatePrivateKey, pkcs8Pem, referenceNodeId, sec1Pem, uncompressedPublicKey, type KeyKind } from '../helpers/keys.js';
import { tempHome } from '../helpers/temp-dir.js';

/** `openssl ecparam -genkey` writes this block before the key. */
const EC_PARAMETERS_P256 = '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n';

describe('importing a key', () => {
  it('PKCS#8 and SEC1 of the same key give the same, expected node ID', async (t) => {
    const key = generatePrivateKey('p256');
    const expected = referenceNodeId(uncompressedPublicKey(key));
    const fromPkcs8 = await createIdentity(await tempHome(t), { importKeyPem: pkcs8Pem(key) });
    const fromSec1 = await createIdentity(await tempHome(t), { importKeyPem: sec1Pem(key) });
    const fromOpenssl = await createIdentity(await tempHome(t), { importKeyPem: EC_PARAMETERS_P256 + sec1Pem(key) });
    assert.equal(fromPkcs8.id, expected);
    assert.equal(fromSec1.id, expected);
    assert.equal(fromOpenssl.id, expected);
    assert.ok(fromSec1.privateScalar.equals(fromPkcs8.privateScalar));
  });

  it('stores an imported SEC1 key as PKCS#8, and it loads back the same', async (t) => {
    const key = generatePrivateKey('p256');
    const home = await tempHome(t);
    const created = await createIdentity(home, { importKeyPem: sec1Pem(key) });
    assert.match(created.privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
    const loaded = await loadIdentity(home);
    assert.equal(loaded.id, created.id);
    assert.equal(loaded.privateKeyPem, pkcs8Pem(key));
  });

  it('accepts CRLF line ends and surrounding text', () => {
    const key = generatePrivateKey('p256');
    const pem = 'a comment\r\n' + pkcs8Pem(key).replace(/\n/g, '\r\n') + 'trailing\r\n';
    assert.equal(parsePrivateKeyPem(pem).publicKey.toString('hex'), uncompressedPublicKey(key).toString('hex'));
  });

  const wrong: KeyKind[] = ['p384', 'secp256k1', 'ed25519', 'x25519', 'rsa'];
  for (const kind of wrong) {
    it(`refuses a ${kind} key: "key is not a P-256 key", nothing written`, async (t) => {
      const home = await tempHome(t);
      const key = generatePrivateKey(kind);
      await assert.rejects(createIdentity(home, { importKeyPem: pkcs8Pem(key), importKeySource: 'the.pem' }), pushmeshError('ERR_BAD_KEY', /^the\.pem: key is not a P-256 key/));
      if (kind === 'p384' || kind === 'secp256k1') {
        await assert.rejects(createIdentity(home, { importKeyPem: sec1Pem(key) }), pushmeshError('ERR_BAD_KEY', /key is not a P-256 key/));
      }
      await assert.rejects(loadIdentity(home), pushmeshError('ERR_IDENTITY_MISSING'));
    });
  }

  it('refuses an RSA PRIVATE KEY (PKCS#1) block as not P-256', () => {
    const pem = generatePrivateKey('rsa').export({ format: 'pem', type: 'pkcs1' }).toString();
    assert.throws(() => parsePrivateKeyPem(pem), pushmeshError('ERR_BAD_KEY', /key is not a P-256 key/));
  });

  it('refuses public keys, certificates, encrypted keys and non-PEM text', () => {
    const key = generatePrivateKey('p256');
    const publicPem = createPublicKey(key).export({ format: 'pem', type: 'spki' }).toString();
    assert.throws(() => parsePrivateKeyPem(publicPem), pushmeshError('ERR_BAD_KEY', /not a private key \(found PUBLIC KEY\)/));
    const encrypted = key.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-128-cbc', passphrase: 'x' }).toString();
    assert.throws(() => parsePrivateKeyPem(encrypted), pushmeshError('ERR_BAD_KEY', /encrypted/));
    assert.throws(() => parsePrivateKeyPem(''), pushmeshError('ERR_BAD_KEY', /not a PEM private key/));
    assert.throws(() => parsePrivateKeyPem(key.export({ format: 'der', type: 'pkcs8' }).toString('base64')), pushmeshError('ERR_BAD_KEY', /not a PEM/));
  });
});
