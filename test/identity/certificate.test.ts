import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createIdentity, loadIdentity } from '../../src/identity/index.js';
import { uncompressedPublicKey } from '../helpers/keys.js';
import { tempHome } from '../helpers/temp-dir.js';

describe('node certificate', () => {
  it('is self-signed for the identity key, CN and DNS SAN = node ID, long-lived', async (t) => {
    const home = await tempHome(t);
    const identity = await createIdentity(home);
    const cert = new X509Certificate(await readFile(join(home, 'cert.pem')));
    assert.equal(cert.subject, `CN=${identity.id}`);
    assert.equal(cert.issuer, `CN=${identity.id}`);
    assert.equal(cert.subjectAltName, `DNS:${identity.id}`);
    assert.ok(cert.checkPrivateKey(identity.privateKey));
    assert.ok(cert.verify(cert.publicKey));
    assert.ok(uncompressedPublicKey(cert.publicKey).equals(identity.publicKey));
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(cert.ca, false);
    const years = (Date.parse(cert.validTo) - Date.now()) / (365 * 24 * 3600 * 1000);
    assert.ok(years > 9.9, `valid for ${years} years`);
    assert.ok(Date.parse(cert.validFrom) <= Date.now());
    assert.equal(identity.certificatePem, await readFile(join(home, 'cert.pem'), 'utf8'));
  });

  it('is regenerated on load when missing', async (t) => {
    const home = await tempHome(t);
    const identity = await createIdentity(home);
    await unlink(join(home, 'cert.pem'));
    const reasons: string[] = [];
    const loaded = await loadIdentity(home, { onCertificateRenewed: (r) => reasons.push(r) });
    assert.equal(reasons.length, 1);
    assert.match(reasons[0] ?? '', /missing/);
    const cert = new X509Certificate(await readFile(join(home, 'cert.pem')));
    assert.ok(cert.checkPrivateKey(identity.privateKey));
    assert.equal(loaded.certificatePem, cert.toString());
  });

  it('is regenerated on load when it belongs to another key', async (t) => {
    const home = await tempHome(t);
    const other = await createIdentity(await tempHome(t));
    const identity = await createIdentity(home);
    await writeFile(join(home, 'cert.pem'), other.certificatePem);
    const reasons: string[] = [];
    const loaded = await loadIdentity(home, { onCertificateRenewed: (r) => reasons.push(r) });
    assert.match(reasons.join(), /did not match/);
    assert.ok(new X509Certificate(loaded.certificatePem).checkPrivateKey(identity.privateKey));
    assert.ok(new X509Certificate(await readFile(join(home, 'cert.pem'))).checkPrivateKey(identity.privateKey));
  });

  it('is regenerated when expired, and kept when still good', async (t) => {
    const home = await tempHome(t);
    await createIdentity(home, { now: new Date('2000-01-01T00:00:00Z') }); // expired in 2010
    const reasons: string[] = [];
    const loaded = await loadIdentity(home, { onCertificateRenewed: (r) => reasons.push(r) });
    assert.equal(reasons.length, 1);
    assert.ok(Date.parse(new X509Certificate(loaded.certificatePem).validTo) > Date.now());
    const again = await loadIdentity(home, { onCertificateRenewed: (r) => reasons.push(r) });
    assert.equal(reasons.length, 1);
    assert.equal(again.certificatePem, loaded.certificatePem);
  });

  it('garbage in cert.pem is replaced', async (t) => {
    const home = await tempHome(t);
    await createIdentity(home);
    await writeFile(join(home, 'cert.pem'), 'not a certificate');
    const loaded = await loadIdentity(home);
    assert.ok(new X509Certificate(loaded.certificatePem).checkPrivateKey(loaded.privateKey));
  });
});
