/**
 * The node ID type and its syntax, in a pure module (no Node built-in, no
 * package) so that src/browser/ shares it (.dependency-cruiser.cjs
 * BROWSER_SHARED). Deriving a node ID from a key is src/identity/node-id.ts
 * (node:crypto) and src/browser/core/node-id.ts (WebCrypto).
 */

/** 52-character lowercase unpadded base32 of SHA-256(uncompressed P-256 public key). */
export type NodeId = string;

/** Length of a full node ID: base32 of 32 bytes, unpadded. */
export const NODE_ID_LENGTH = 52;
const NODE_ID_RE = /^[a-z2-7]{52}$/;

/** True for a string of 52 lowercase base32 characters; false for anything else (non-strings included). */
export function isNodeId(text: unknown): text is NodeId {
  return typeof text === 'string' && NODE_ID_RE.test(text);
}
