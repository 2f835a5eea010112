import { X509Certificate } from 'node:crypto';
import { PushmeshError } from '../../errors/index.js';
import type { NodeId } from '../../identity/types.js';
import { nodeIdOfCertificate } from '../../identity/certificate-node-id.js';

/** What a peer proved in a TLS handshake. */
export interface CertificateProof {
  id: NodeId;
  /** A configured trust CA signed its certificate. */
  caSigned: boolean;
}

/** Clock skew allowed on certificate validity (as when they are made: 1 h back-dated). */
const SKEW_MS = 60 * 60 * 1000;

/**
 * Identifies a TLS peer by the certificate it presented. The handshake
 * already proved that the peer holds the private key of the certificate's
 * public key; the node ID is derived from that key (never from a name in
 * the certificate). Refuses — ERR_PEER_REFUSED, message starting with
 * the close reason — a missing certificate, a key that is not P-256, a
 * certificate outside its validity period, and an ID other than
 * `expectedId` when one is given. `caSigned` tells whether one of
 * `trustCas` issued it (checked by signature, issuer name and the CA's
 * own validity).
 */
export function identifyCertificate(
  cert: X509Certificate | undefined,
  opts: { expectedId?: NodeId | undefined; trustCas?: readonly X509Certificate[]; now?: number } = {},
): CertificateProof {
  if (!cert) throw refused('unauthenticated', 'no client certificate: pushmesh links need mutual TLS');
  let id: NodeId | null;
  try {
    id = nodeIdOfCertificate(cert);
  } catch (cause) {
    throw refused('unauthenticated', 'certificate key could not be read', cause);
  }
  if (!id) throw refused('unauthenticated', 'certificate key is not a P-256 key');
  const now = opts.now ?? Date.now();
  if (Date.parse(cert.validFrom) > now + SKEW_MS) throw refused('unauthenticated', 'certificate is not valid yet');
  if (Date.parse(cert.validTo) < now - SKEW_MS) throw refused('unauthenticated', 'certificate has expired');
  if (opts.expectedId !== undefined && id !== opts.expectedId) {
    throw refused('forbidden', `peer proved node ${id.slice(0, 12)}…, not ${opts.expectedId.slice(0, 12)}… named in the peer URL`);
  }
  return { id, caSigned: (opts.trustCas ?? []).some((ca) => issuedBy(cert, ca, now)) };
}

function issuedBy(cert: X509Certificate, ca: X509Certificate, now: number): boolean {
  try {
    return (
      cert.checkIssued(ca) &&
      cert.verify(ca.publicKey) &&
      Date.parse(ca.validFrom) <= now + SKEW_MS &&
      Date.parse(ca.validTo) >= now - SKEW_MS
    );
  } catch {
    return false;
  }
}

export function refused(reason: 'unauthenticated' | 'forbidden', message: string, cause?: unknown): PushmeshError {
  return new PushmeshError('ERR_PEER_REFUSED', `${reason}: ${message}`, cause === undefined ? undefined : { cause });
}

/** The close reason at the start of an ERR_PEER_REFUSED message. */
export function refusalReason(err: PushmeshError): 'unauthenticated' | 'forbidden' {
  return err.message.startsWith('unauthenticated') ? 'unauthenticated' : 'forbidden';
}

/** Reads every certificate of a PEM bundle (a trust CA file). */
export function parseCertificates(pem: string, where: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new PushmeshError('ERR_CONFIG', `${where}: no PEM certificate found`);
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (cause) {
      throw new PushmeshError('ERR_CONFIG', `${where}: certificate ${i + 1} cannot be read`, { cause });
    }
  });
}
