import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import type * as X509Types from '@peculiar/x509';
import { x509 } from '../../src/identity/x509.js';

const DAY = 24 * 3600 * 1000;

export interface PemPair {
  key: string;
  cert: string;
}

type Algo = { name: 'ECDSA'; namedCurve: 'P-256' | 'P-384'; hash: 'SHA-256' | 'SHA-384' };
const P256: Algo = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const P384: Algo = { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' };

async function keyPair(algo: Algo): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algo, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString();
}

function serial(): string {
  const s = randomBytes(12);
  s[0] = (s[0]! & 0x7f) | 1;
  return s.toString('hex');
}

/** A self-signed certificate of a P-384 key: a key pushmesh cannot derive a node ID from. */
export async function p384Certificate(): Promise<PemPair> {
  const keys = await keyPair(P384);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=not-a-node',
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + DAY),
    signingAlgorithm: P384,
    keys: keys as unknown as X509Types.X509CertificateCreateSelfSignedParams['keys'],
  });
  return { key: await pkcs8Pem(keys.privateKey), cert: cert.toString('pem') };
}

/** A CA (self-signed, CA:true) and a function issuing P-256 leaf certificates signed by it. */
export async function testCa(): Promise<{ cert: string; issue(days?: number): Promise<PemPair> }> {
  const caKeys = await keyPair(P256);
  const caName = 'CN=pushmesh test CA';
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: caName,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    signingAlgorithm: P256,
    keys: caKeys as unknown as X509Types.X509CertificateCreateSelfSignedParams['keys'],
    extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  return {
    cert: ca.toString('pem'),
    issue: async (days = 10) => {
      const leaf = await keyPair(P256);
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: 'CN=leaf',
        issuer: caName,
        notBefore: new Date(Date.now() - DAY),
        notAfter: new Date(Date.now() + days * DAY),
        signingAlgorithm: P256,
        publicKey: leaf.publicKey as unknown as X509Types.PublicKeyType,
        signingKey: caKeys.privateKey as unknown as CryptoKey,
      });
      return { key: await pkcs8Pem(leaf.privateKey), cert: cert.toString('pem') };
    },
  };
}
