import { toBase32 } from './bytes.js';
import type { NodeId } from '../../identity/node-id-syntax.js';
import { isUncompressedPoint, sha256 } from './crypto.js';

/** A node ID: lowercase unpadded base32 of SHA-256 of the 65-byte public key (52 characters); the node's own type. */
export type { NodeId };

// The syntax is the node's own (src/identity/node-id-syntax.ts, shared and pure).
export { NODE_ID_LENGTH, isNodeId } from '../../identity/node-id-syntax.js';

/** Node ID = lowercase unpadded RFC 4648 base32 of SHA-256(65-byte uncompressed key), as src/identity/node-id.ts. */
export async function nodeIdOf(publicKey: Uint8Array): Promise<NodeId> {
  if (!isUncompressedPoint(publicKey)) throw new TypeError('expected a 65-byte uncompressed P-256 public key');
  return toBase32(await sha256(publicKey));
}

