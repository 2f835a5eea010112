import { strict as assert } from 'node:assert';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  checkGivenCertificate,
  createCertificateRequest,
  createIdentity,
  loadIdentity,
  openIdentity,
  type Identity,
} from '../../src/identity/index.js';
import { makeOpensslCa, type OpensslCa } from '../helpers/openssl-ca.js';
import { tempDir, tempHome } from '../helpers/temp-dir.js';
import { onlyTyped } from '../helpers/typed-errors.js';

const keysOf = (i: Identity) => ({ privateKey: i.privateKey, publicKey: i.publicKey, privateScalar: i.privateScalar, pkcs8Pem: i.privateKeyPem });

describe('a certificate given to the node', () => {
  let ca: OpensslCa;
  let home: string;
  let identity: Identity;
  let issued: string;
  before(async () => {
    ca = await makeOpensslCa(await tempDir());
    home = join(ca.dir, 'home');
    identity = await createIdentity(home);
    issued = await readFile(await ca.sign(await createCertificateRequest(keysOf(identity), identity.id), { name: 'node', san: identity.id }), 'utf8');
  });
  after(() => rm(ca.dir, { recursive: true, force: true }));

  it('any text (and any damage to a good certificate) is taken or refused with ERR_IDENTITY_INVALID in one line (fast-check)', () => {
    const damaged = fc
      .tuple(fc.nat(issued.length - 1), fc.string({ minLength: 1, maxLength: 3 }))
      .map(([at, s]) => issued.slice(0, at) + s + issued.slice(at + s.length));
    const text = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), damaged, fc.constant(issued), fc.constant(`-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`));
    fc.assert(
      fc.property(text, (s) => {
        const r = onlyTyped(['ERR_IDENTITY_INVALID'], () => checkGivenCertificate(s, keysOf(identity), identity.id, 'test'));
        if (r.ok) assert.equal(r.value.summary.issuedBy, 'ca');
        else assert.match(r.message, /^test: /);
      }),
      { numRuns: 500 },
    );
  });

  it('the node ID may be the CN only, or the DNS subjectAltName only; a wildcard name does not count', async (t) => {
    const dir = await tempDir(t);
    const csrPem = await createCertificateRequest(keysOf(identity), identity.id);
    // CN = ID, no SAN (signed without the extension file's SAN line).
    const cnOnly = await readFile(await ca.sign(csrPem, { name: 'cn-only', san: null }), 'utf8');
    assert.equal(checkGivenCertificate(cnOnly, keysOf(identity), identity.id, 'x').summary.issuedBy, 'ca');
    // CN = something else, SAN = ID: a request made with openssl from the node key.
    const { openssl } = await import('../helpers/openssl-ca.js');
    await openssl(dir, ['req', '-new', '-key', join(home, 'key.pem'), '-subj', '/O=Example/CN=relay.example.net', '-out', 'other-cn.csr']);
    const sanOnly = await readFile(await ca.sign(await readFile(join(dir, 'other-cn.csr'), 'utf8'), { name: 'san-only', san: identity.id }), 'utf8');
    assert.equal(checkGivenCertificate(sanOnly, keysOf(identity), identity.id, 'x').summary.subject, 'O=Example, CN=relay.example.net');
    const wildcard = await readFile(await ca.sign(await readFile(join(dir, 'other-cn.csr'), 'utf8'), { name: 'wild', san: '*.example.net' }), 'utf8');
    assert.throws(() => checkGivenCertificate(wildcard, keysOf(identity), identity.id, 'x'), { code: 'ERR_IDENTITY_INVALID', message: /does not name this node/ });
  });

  it('a chain file (node certificate, then the CA) and a private key in the same file: the certificates are kept, the key left out', async () => {
    const caPem = await readFile(ca.certFile, 'utf8');
    const { chainPem } = checkGivenCertificate(`${issued}${identity.privateKeyPem}${caPem}`, keysOf(identity), identity.id, 'x');
    assert.equal(chainPem, `${issued.trimEnd()}\n${caPem}`);
    assert.doesNotMatch(chainPem, /PRIVATE KEY/);
    // The node's own certificate must come first.
    assert.throws(() => checkGivenCertificate(`${caPem}${issued}`, keysOf(identity), identity.id, 'x'), { code: 'ERR_IDENTITY_INVALID', message: /for another key/ });
  });

  it('loadIdentity keeps a CA-issued cert.pem (never replaced, checked only when asked) and reads certFile without writing it', async (t) => {
    const h = await tempHome(t);
    const own = await createIdentity(h);
    const mine = await readFile(await ca.sign(await createCertificateRequest(keysOf(own), own.id), { name: `own-${own.id.slice(0, 8)}`, san: own.id }), 'utf8');
    const expired = await readFile(await ca.sign(await createCertificateRequest(keysOf(own), own.id), { name: `old-${own.id.slice(0, 8)}`, san: own.id, days: -1 }), 'utf8');
    await writeFile(join(h, 'cert.pem'), expired);
    const renewed: string[] = [];
    const lenient = await loadIdentity(h, { onCertificateRenewed: (r) => renewed.push(r) });
    assert.equal(lenient.certificatePem, expired);
    assert.deepEqual(renewed, []);
    await assert.rejects(loadIdentity(h, { checkCertificate: true }), { code: 'ERR_IDENTITY_INVALID', message: /^CA-issued certificate .*cert\.pem: the certificate expired on / });
    assert.equal(await readFile(join(h, 'cert.pem'), 'utf8'), expired);
    // certFile wins over cert.pem, and is only read.
    const file = join(h, '..', 'given.pem');
    await writeFile(file, mine);
    const given = await loadIdentity(h, { certFile: file, checkCertificate: true });
    assert.equal(given.certificatePem, mine);
    assert.equal(await readFile(join(h, 'cert.pem'), 'utf8'), expired);
    await assert.rejects(loadIdentity(h, { certFile: join(h, 'absent.pem'), checkCertificate: true }), { code: 'ERR_IDENTITY_INVALID', message: /absent\.pem does not exist \(certFile\)$/ });
    // A first start with certFile set: the new key cannot match it, and that is said.
    await assert.rejects(openIdentity(await tempHome(t), { certFile: file, checkCertificate: true }), { code: 'ERR_IDENTITY_INVALID', message: /the certificate is for another key/ });
  });
});
