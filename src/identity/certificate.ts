import { randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import type * as X509Types from '@peculiar/x509';
import type { P256KeyPair } from './private-key.js';
import type { NodeId } from './types.js';

/** Validity of a generated node certificate: 10 years. */
export const CERTIFICATE_VALIDITY_DAYS = 3650;
/** Back-dating of `notBefore`, so peers with a slow clock accept a fresh certificate. */
const CLOCK_SKEW_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const ECDSA_P256_SHA256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface CertificateOptions {
  /** Issue time (default: now). */
  readonly now?: Date;
  readonly validityDays?: number;
}

/**
 * A self-signed X.509 certificate for the node's key, PEM: subject and
 * issuer CN = node ID, the node ID as a DNS subjectAltName (so TLS peers can
 * check it without a host name), ECDSA P-256 with SHA-256, not a CA, usable
 * for TLS server and client authentication.
 */
export async function createSelfSignedCertificate(keys: P256KeyPair, id: NodeId, options: CertificateOptions = {}): Promise<string> {
  // Loaded on demand: @peculiar/x509 costs ~150 ms to load and most runs only read a certificate.
  const { x509 } = await import('./x509.js');
  const now = options.now ?? new Date();
  const validityDays = options.validityDays ?? CERTIFICATE_VALIDITY_DAYS;
  const pkcs8 = keys.privateKey.export({ format: 'der', type: 'pkcs8' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, ECDSA_P256_SHA256, false, ['sign']);
  const publicKey = await webcrypto.subtle.importKey('raw', keys.publicKey, ECDSA_P256_SHA256, true, ['verify']);
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01; // positive and without a leading zero byte
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: [{ CN: [id] }],
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + validityDays * DAY_MS),
    signingAlgorithm: ECDSA_P256_SHA256,
    keys: { privateKey, publicKey } as unknown as X509Types.X509CertificateCreateSelfSignedParams['keys'],
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: id }]),
      await x509.SubjectKeyIdentifierExtension.create(publicKey as unknown as X509Types.PublicKeyType),
    ],
  });
  return cert.toString('pem') + '\n';
}

/**
 * Whether `pem` is a usable certificate for this identity: it parses, holds
 * this key, names this node ID, is self-signed, and is valid at `now`.
 */
export function certificateMatches(pem: string, keys: P256KeyPair, id: NodeId, now: Date = new Date()): boolean {
  try {
    const cert = new X509Certificate(pem);
    return (
      cert.checkPrivateKey(keys.privateKey) &&
      cert.subject === `CN=${id}` &&
      cert.verify(cert.publicKey) &&
      new Date(cert.validFrom).getTime() <= now.getTime() + CLOCK_SKEW_MS &&
      new Date(cert.validTo).getTime() > now.getTime()
    );
  } catch {
    return false;
  }
}
