import { createHash } from 'node:crypto';
import { base32 } from '@scure/base';
import type { NodeId } from './types.js';

// The syntax (NODE_ID_LENGTH, isNodeId) lives in the pure node-id-syntax.ts, shared with src/browser/.
export { NODE_ID_LENGTH, isNodeId } from './node-id-syntax.js';

/** Node ID = lowercase unpadded RFC 4648 base32 of SHA-256(65-byte uncompressed key). */
export function nodeIdFromPublicKey(publicKey: Uint8Array): NodeId {
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) {
    throw new TypeError('expected a 65-byte uncompressed P-256 public key');
  }
  const digest = createHash('sha256').update(publicKey).digest();
  return base32.encode(digest).replace(/=+$/, '').toLowerCase();
}

/** VIP6 (wpgate-compatible): fd00::/64 followed by the last 8 bytes of the public key. */
export function vip6FromPublicKey(publicKey: Uint8Array): string {
  const tail = Buffer.from(publicKey.subarray(publicKey.length - 8));
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2) groups.push(tail.readUInt16BE(i).toString(16));
  // Let the URL parser print the canonical RFC 5952 form (longest zero run compressed).
  return new URL(`http://[fd00:0:0:0:${groups.join(':')}]/`).hostname.slice(1, -1);
}
