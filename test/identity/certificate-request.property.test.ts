import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isPushmeshError } from '../../src/errors/index.js';
import { createCertificateRequest, createIdentity, type Identity } from '../../src/identity/index.js';
import { x509 } from '../../src/identity/x509.js';
import { tempHome } from '../helpers/temp-dir.js';

const keysOf = (i: Identity) => ({ privateKey: i.privateKey, publicKey: i.publicKey, privateScalar: i.privateScalar, pkcs8Pem: i.privateKeyPem });

describe('pushmesh cert request --dns (fast-check)', () => {
  it('any --dns text is a DNS name that ends up in the signed request after the node ID, or ERR_BAD_ARGUMENT in one line', async (t) => {
    const identity = await createIdentity(await tempHome(t));
    const names = fc.oneof(
      fc.domain(),
      fc.domain().map((d) => `*.${d}`),
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.constantFrom('', '-a.com', 'a-.com', 'a..b', 'a b', 'é.com', `${'x'.repeat(64)}.com`, 'a.*.com', '*'),
    );
    await fc.assert(
      fc.asyncProperty(names, async (name) => {
        let pem: string;
        try {
          pem = await createCertificateRequest(keysOf(identity), identity.id, { dnsNames: [name] });
        } catch (err) {
          assert.ok(isPushmeshError(err) && err.code === 'ERR_BAD_ARGUMENT', String(err));
          assert.equal(err.message, `--dns "${name}" is not a DNS name`);
          return;
        }
        const csr = new x509.Pkcs10CertificateRequest(pem);
        assert.ok(await csr.verify(), 'signed by the node key');
        const san = csr.extensions.find((e): e is InstanceType<typeof x509.SubjectAlternativeNameExtension> => e instanceof x509.SubjectAlternativeNameExtension);
        const dns = san?.names.items.filter((n) => n.type === 'dns').map((n) => n.value);
        assert.deepEqual(dns, name.toLowerCase() === identity.id ? [identity.id] : [identity.id, name]);
      }),
      { numRuns: 150 },
    );
  });
});
