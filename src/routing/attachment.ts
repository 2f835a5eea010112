import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { PushmeshError } from '../errors/index.js';
import { nodeIdFromPublicKey } from '../identity/node-id.js';
import type { NodeId } from '../identity/types.js';
import { toBase64Url } from '../util/base64url.js';
import type { Attachment, Route } from './types.js';

const LABEL = Buffer.from('pushmesh attachment v1\0', 'latin1');
/** Longest lifetime of an attachment, ms: a device re-signs while it stays attached. */
export const MAX_ATTACHMENT_TTL_MS = 24 * 3600 * 1000;
/** Longest route chain accepted (= the largest hop limit). */
export const MAX_CHAIN = 32;

function signedBytes(node: string, relay: string, expires: number): Buffer {
  const n = Buffer.from(node, 'utf8');
  const r = Buffer.from(relay, 'utf8');
  const head = Buffer.alloc(2);
  const mid = Buffer.alloc(2);
  const exp = Buffer.alloc(8);
  head.writeUInt16BE(n.length);
  mid.writeUInt16BE(r.length);
  exp.writeBigUInt64BE(BigInt(expires));
  return Buffer.concat([LABEL, head, n, mid, r, exp]);
}

/** Signs "this node is reachable through `relay` until `expires`". */
export function signAttachment(key: { privateKey: KeyObject; publicKey: Uint8Array }, relay: NodeId, expires: number): Attachment {
  const node = nodeIdFromPublicKey(key.publicKey);
  const signature = sign('sha256', signedBytes(node, relay, expires), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return { node, relay, expires, publicKey: Buffer.from(key.publicKey), signature };
}

const invalid = (why: string): PushmeshError => new PushmeshError('ERR_BAD_SIGNATURE', `route announcement refused: ${why}`);

/** Checks one attachment's key, signature and lifetime. */
export function verifyAttachment(a: Attachment, now: number): void {
  let id: NodeId;
  try {
    id = nodeIdFromPublicKey(a.publicKey);
  } catch {
    throw invalid('attachment key is not a P-256 point');
  }
  if (id !== a.node) throw invalid('attachment key is not the node’s');
  if (a.expires <= now) throw invalid('attachment expired');
  if (a.expires > now + MAX_ATTACHMENT_TTL_MS + 60_000) throw invalid('attachment lives too long');
  if (a.signature.length !== 64) throw invalid('attachment signature is not 64 bytes');
  let ok = false;
  try {
    const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: toBase64Url(a.publicKey.subarray(1, 33)), y: toBase64Url(a.publicKey.subarray(33, 65)) }, format: 'jwk' });
    ok = verify('sha256', signedBytes(a.node, a.relay, a.expires), { key, dsaEncoding: 'ieee-p1363' }, a.signature);
  } catch {
    ok = false;
  }
  if (!ok) throw invalid('attachment signature does not verify');
}

/**
 * Checks a route announced by `announcer` to `self`: every attachment
 * verifies, the chain is connected and ends at the announcer, has no
 * repeated node, and does not pass through `self` (that would be a loop).
 * Returns the destination and the route's expiry (its earliest attachment's).
 */
export function verifyRoute(route: Route, announcer: NodeId, self: NodeId, now: number): { dest: NodeId; hops: number; expires: number } {
  const chain = route.chain;
  if (chain.length === 0 || chain.length > MAX_CHAIN) throw invalid(`route must have 1-${MAX_CHAIN} attachments`);
  const seen = new Set<NodeId>();
  let expires = Number.POSITIVE_INFINITY;
  for (let i = 0; i < chain.length; i++) {
    const a = chain[i]!;
    verifyAttachment(a, now);
    if (i + 1 < chain.length && a.relay !== chain[i + 1]!.node) throw invalid('route chain is not connected');
    if (seen.has(a.node) || a.node === self) throw invalid('route chain loops');
    seen.add(a.node);
    expires = Math.min(expires, a.expires);
  }
  if (chain[chain.length - 1]!.relay !== announcer) throw invalid('route does not end at the node announcing it');
  return { dest: chain[0]!.node, hops: chain.length + 1, expires };
}
