import { webcrypto } from 'node:crypto';
import type * as X509Types from '@peculiar/x509';
import { PushmeshError } from '../errors/index.js';
import type { P256KeyPair } from './private-key.js';
import type { NodeId } from './types.js';

const ECDSA_P256_SHA256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** A DNS name as a subjectAltName may hold it: labels of letters, digits and `-`, optionally one leading `*.`. */
const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

export interface CertificateRequestOptions {
  /** More DNS names for the subjectAltName (a relay's public host name, say), after the node ID. */
  readonly dnsNames?: readonly string[];
}

/**
 * A PKCS#10 certificate signing request (PEM) for the node's key, for a CA
 * to sign (`pushmesh cert request`): subject `CN=<node ID>`, and an
 * extension request for subjectAltName `DNS:<node ID>` (plus `dnsNames`),
 * key usage digitalSignature and keyAgreement, extended key usage
 * serverAuth and clientAuth — what the node's self-signed certificate
 * holds. Signed with the node key (ECDSA P-256, SHA-256), which proves the
 * key to the CA. A bad DNS name is ERR_BAD_ARGUMENT.
 */
export async function createCertificateRequest(keys: P256KeyPair, id: NodeId, options: CertificateRequestOptions = {}): Promise<string> {
  const extra = options.dnsNames ?? [];
  for (const name of extra) {
    if (name.length > 253 || !DNS_NAME.test(name)) throw new PushmeshError('ERR_BAD_ARGUMENT', `--dns "${name}" is not a DNS name`);
  }
  const { x509 } = await import('./x509.js');
  const pkcs8 = keys.privateKey.export({ format: 'der', type: 'pkcs8' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, ECDSA_P256_SHA256, false, ['sign']);
  const publicKey = await webcrypto.subtle.importKey('raw', keys.publicKey, ECDSA_P256_SHA256, true, ['verify']);
  const names = [id, ...extra.filter((n) => n.toLowerCase() !== id)];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [id] }],
    keys: { privateKey, publicKey } as unknown as X509Types.Pkcs10CertificateRequestCreateParams['keys'],
    signingAlgorithm: ECDSA_P256_SHA256,
    extensions: [
      new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns' as const, value }))),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
    ],
  });
  return csr.toString('pem') + '\n';
}
