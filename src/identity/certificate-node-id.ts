import type { X509Certificate } from 'node:crypto';
import { fromBase64Url } from '../util/base64url.js';
import { nodeIdFromPublicKey } from './node-id.js';
import type { NodeId } from './types.js';

/**
 * The node ID of the P-256 key inside a certificate, or null when the key
 * is not P-256. A TLS peer that completed the handshake holds this key, so
 * this is the ID it proved (whatever names the certificate claims).
 */
export function nodeIdOfCertificate(cert: X509Certificate): NodeId | null {
  try {
    const jwk = cert.publicKey.export({ format: 'jwk' });
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.x || !jwk.y) return null;
    return nodeIdFromPublicKey(Buffer.concat([Buffer.of(4), fromBase64Url(jwk.x), fromBase64Url(jwk.y)]));
  } catch {
    return null; // a key type that has no JWK form, or a malformed point
  }
}
