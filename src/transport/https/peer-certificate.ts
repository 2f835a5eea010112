import type { TLSSocket } from 'node:tls';
import { nodeIdOfCertificate } from '../../identity/certificate-node-id.js';

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
