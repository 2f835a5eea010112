/**
 * The node ID type alone, in a pure module (no Node types) so that
 * src/message/types.ts, which src/browser/ shares, can name it.
 */

/** 52-character lowercase unpadded base32 of SHA-256(uncompressed P-256 public key). */
export type NodeId = string;
