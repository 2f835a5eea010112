import { X509Certificate } from 'node:crypto';
import { PushmeshError } from '../errors/index.js';
import { nodeIdOfCertificate } from './certificate-node-id.js';
import type { P256KeyPair } from './private-key.js';
import type { NodeId } from './types.js';

/** A CA-issued certificate with fewer days than this left is warned about (at start, and by `pushmesh init --cert`). */
export const CERTIFICATE_WARN_DAYS = 30;
/** Clock skew allowed on `notBefore` (as for generated certificates, back-dated by one hour). */
const CLOCK_SKEW_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]*?-----END CERTIFICATE-----/g;

/** What the node tells about its certificate (log, metric, `init --cert`). */
export interface CertificateSummary {
  /** Issued by the node itself (subject = issuer and its own key verifies it) or by a CA. */
  readonly issuedBy: 'self' | 'ca';
  readonly subject: string;
  readonly issuer: string;
  readonly notAfter: Date;
}

/**
 * The certificate blocks of a PEM file (the node's certificate first, then
 * any intermediate CA certificates sent along in TLS), joined, with a
 * final newline; anything else in the file (a private key put in the same
 * file, comments) is left out. Null when there is no certificate block.
 */
export function certificateChainPem(text: string): string | null {
  const blocks = text.match(CERTIFICATE_BLOCK);
  return blocks === null ? null : blocks.join('\n') + '\n';
}

/** The first certificate of `pem`, or null when there is none or it does not parse. */
export function leafCertificate(pem: string): X509Certificate | null {
  const first = pem.match(CERTIFICATE_BLOCK)?.[0];
  if (first === undefined) return null;
  try {
    return new X509Certificate(first);
  } catch {
    return null;
  }
}

/** Self-issued (subject = issuer) and signed by its own key: what `pushmesh` generates, and may replace. */
export function isSelfSigned(cert: X509Certificate): boolean {
  try {
    return cert.subject === cert.issuer && cert.verify(cert.publicKey);
  } catch {
    return false;
  }
}

/** Subject, issuer (one line each, `, `-separated) and end of validity of `cert`. */
export function summarizeCertificate(cert: X509Certificate): CertificateSummary {
  return {
    issuedBy: isSelfSigned(cert) ? 'self' : 'ca',
    subject: cert.subject.split('\n').join(', '),
    issuer: cert.issuer.split('\n').join(', '),
    notAfter: new Date(cert.validTo),
  };
}

/** Whole days left before `notAfter` (negative once expired). */
export function daysLeft(notAfter: Date, now: Date = new Date()): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
}

/**
 * Checks a certificate given to the node (by `pushmesh init --cert`, the
 * `certFile` setting, or a CA-issued `cert.pem` in the home folder) and
 * returns its chain (certificate blocks only) and summary. The node's
 * certificate is the first block; it must hold this node's key, name the
 * node ID as its subject CN or as a DNS subjectAltName (wildcards do not
 * count), and be valid at `now`. Who issued it is not checked here: peers
 * decide that (`--trust-ca`). Every refusal is ERR_IDENTITY_INVALID, one
 * line naming `source` and what to do.
 */
export function checkGivenCertificate(
  text: string,
  keys: P256KeyPair,
  id: NodeId,
  source: string,
  now: Date = new Date(),
): { chainPem: string; summary: CertificateSummary } {
  const chainPem = certificateChainPem(text);
  if (chainPem === null) throw invalid(`${source}: no PEM certificate found (expected -----BEGIN CERTIFICATE-----)`);
  const cert = leafCertificate(chainPem);
  if (cert === null) throw invalid(`${source}: the certificate cannot be read`);
  const certId = nodeIdOfCertificate(cert);
  if (certId === null) throw invalid(`${source}: the certificate's key is not a P-256 key, so it cannot be this node's`);
  if (certId !== id || !cert.checkPrivateKey(keys.privateKey)) {
    throw invalid(`${source}: the certificate is for another key (node ${certId.slice(0, 12)}…), not this node's (${id.slice(0, 12)}…); sign a request made by pushmesh cert request`);
  }
  if (!namesNode(cert, id)) {
    throw invalid(`${source}: the certificate does not name this node: put ${id} in its subject CN or as a DNS subjectAltName`);
  }
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (notBefore.getTime() > now.getTime() + CLOCK_SKEW_MS) throw invalid(`${source}: the certificate is not valid before ${notBefore.toISOString()}`);
  if (notAfter.getTime() <= now.getTime()) throw invalid(`${source}: the certificate expired on ${notAfter.toISOString()}; have it renewed (pushmesh cert request)`);
  return { chainPem, summary: summarizeCertificate(cert) };
}

/** The node ID as a CN of the subject or as a DNS subjectAltName, compared exactly (no wildcard). */
function namesNode(cert: X509Certificate, id: NodeId): boolean {
  return cert.checkHost(id, { subject: 'always', wildcards: false, partialWildcards: false }) !== undefined;
}

function invalid(message: string): PushmeshError {
  return new PushmeshError('ERR_IDENTITY_INVALID', message);
}
