import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { nodeIdFromPublicKey } from '../identity/node-id.js';
import { fromBase64Url } from '../util/base64url.js';

/**
 * The node ID a TLS peer proved: derived from the P-256 key in the
 * certificate it presented (and holds the private key of, as the
 * handshake showed), never from a name it claims. Null when the peer sent
 * no certificate or a key that is not P-256.
 */
export function peerNodeId(socket: TLSSocket): string | null {
  const cert = socket.getPeerX509Certificate?.() ?? null;
  return cert ? nodeIdOfCertificate(cert) : null;
}

export function nodeIdOfCertificate(cert: X509Certificate): string | null {
  const jwk = cert.publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) return null;
  return nodeIdFromPublicKey(Buffer.concat([Buffer.of(4), fromBase64Url(jwk.x), fromBase64Url(jwk.y)]));
}
