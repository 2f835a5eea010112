import { nodeIdFromPublicKey, vip6FromPublicKey } from './node-id.js';
import type { P256KeyPair } from './private-key.js';
import type { Identity } from './types.js';

/** Assemble an Identity from its parts (already validated). */
export function toIdentity(keys: P256KeyPair, auth: Buffer, certificatePem: string): Identity {
  return Object.freeze({
    id: nodeIdFromPublicKey(keys.publicKey),
    publicKey: keys.publicKey,
    privateKey: keys.privateKey,
    privateScalar: keys.privateScalar,
    auth,
    privateKeyPem: keys.pkcs8Pem,
    certificatePem,
    vip6: vip6FromPublicKey(keys.publicKey),
  });
}
