/**
 * The per-connection challenge that admits a WebSocket peer without a TLS
 * client certificate (docs/transports.md, "WebSocket specifics"):
 *
 *   listener → peer  {"type":"challenge","nonce":<32 random bytes>,"listener":<its node ID>}
 *   peer → listener  {"type":"proof","key":<65-byte key>,"binding":"tls-exporter"|"none","sig":<64-byte r‖s>}
 *
 * (bytes as unpadded base64url). The signature is ECDSA P-256 SHA-256 over
 * `signedBytes`: a domain string, the nonce, the listener's ID and the
 * connection's TLS exporter (RFC 9266) when the peer can read it. A proof
 * is therefore good for one connection to one listener only: a recorded
 * one, or a VAPID token, proves nothing anywhere else.
 *
 * Every way a frame can be wrong is a ChallengeRefusal; nothing else is
 * thrown for outside input.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { ChallengeRefusal } from '../../errors/challenge-refusal.js';
import { isNodeId, nodeIdFromPublicKey } from '../../identity/node-id.js';
import type { NodeId } from '../../identity/types.js';
import { fromBase64Url, toBase64Url } from '../../util/base64url.js';

/** Domain separation: the first bytes of every signed challenge, followed by 0x00. */
export const CHALLENGE_DOMAIN = 'pushmesh ws-challenge v1';
export const NONCE_BYTES = 32;
/** RFC 9266 `tls-exporter`: 32 bytes of the label below, no context. */
export const TLS_EXPORTER_LABEL = 'EXPORTER-Channel-Binding';
export const TLS_EXPORTER_BYTES = 32;
/** A challenge or proof frame longer than this is refused unread. */
export const MAX_CHALLENGE_FRAME_BYTES = 1024;

/** `tls-exporter`: the signature covers the connection's exporter; `none`: the peer cannot read it (browsers). */
export type ChannelBindingKind = 'tls-exporter' | 'none';

export interface Challenge {
  nonce: Uint8Array;
  listener: NodeId;
}

export interface Proof {
  /** 65-byte uncompressed P-256 public key. */
  key: Uint8Array;
  binding: ChannelBindingKind;
  /** 64-byte IEEE P1363 signature (r ‖ s). */
  sig: Uint8Array;
}

/** A fresh challenge for one connection to `listener`. */
export function newChallenge(listener: NodeId, random: (n: number) => Uint8Array = randomBytes): Challenge {
  return { nonce: random(NONCE_BYTES), listener };
}

export function encodeChallenge(c: Challenge): string {
  return JSON.stringify({ type: 'challenge', nonce: toBase64Url(c.nonce), listener: c.listener });
}

export function encodeProof(p: Proof): string {
  return JSON.stringify({ type: 'proof', key: toBase64Url(p.key), binding: p.binding, sig: toBase64Url(p.sig) });
}

/**
 * The bytes a proof signs: ASCII CHALLENGE_DOMAIN ‖ 0x00 ‖ nonce (32) ‖
 * listener node ID (52 ASCII) ‖ one byte = length of the binding value ‖
 * the binding value (the 32-byte exporter, or nothing for `none`).
 */
export function signedBytes(nonce: Uint8Array, listener: NodeId, bindingValue: Uint8Array): Buffer {
  if (nonce.length !== NONCE_BYTES) throw new TypeError(`the nonce must be ${NONCE_BYTES} bytes`);
  if (!isNodeId(listener)) throw new TypeError('the listener must be a full node ID');
  if (bindingValue.length > 255) throw new TypeError('the binding value must be at most 255 bytes');
  return Buffer.concat([Buffer.from(CHALLENGE_DOMAIN, 'ascii'), Buffer.of(0), nonce, Buffer.from(listener, 'ascii'), Buffer.of(bindingValue.length), bindingValue]);
}

/** The RFC 9266 `tls-exporter` channel binding of a TLS connection, as each side computes it. */
export function tlsExporter(socket: TLSSocket): Buffer {
  // No context (RFC 9266 §2); @types/node makes `context` mandatory, Node itself does not.
  return (socket.exportKeyingMaterial as (length: number, label: string) => Buffer).call(socket, TLS_EXPORTER_BYTES, TLS_EXPORTER_LABEL);
}

/** Signs a challenge with a node key (PKCS#8 PEM or KeyObject); `exporter` is required for `tls-exporter`. */
export function signProof(challenge: Challenge, privateKey: KeyObject | string, binding: ChannelBindingKind, exporter?: Uint8Array): Proof {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  if (binding === 'tls-exporter' && exporter?.length !== TLS_EXPORTER_BYTES) throw new TypeError('tls-exporter binding needs the 32-byte exporter');
  const data = signedBytes(challenge.nonce, challenge.listener, binding === 'tls-exporter' ? exporter! : new Uint8Array(0));
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  const publicKey = Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  return { key: publicKey, binding, sig: sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }) };
}

/** Reads the listener's challenge frame (dialer side). */
export function parseChallenge(data: unknown, isBinary: boolean): Challenge {
  const o = frameObject(data, isBinary, 'challenge');
  const nonce = bytesMember(o, 'nonce', NONCE_BYTES);
  const listener = o['listener'];
  if (typeof listener !== 'string' || !isNodeId(listener)) throw new ChallengeRefusal('protocol_error', 'challenge "listener" is not a node ID');
  return { nonce, listener };
}

/** Reads a peer's proof frame (listener side); shape only, nothing verified. */
export function parseProof(data: unknown, isBinary: boolean): Proof {
  const o = frameObject(data, isBinary, 'proof');
  const binding = o['binding'];
  if (binding !== 'tls-exporter' && binding !== 'none') throw new ChallengeRefusal('protocol_error', 'proof "binding" must be "tls-exporter" or "none"');
  const key = bytesMember(o, 'key', 65);
  if (key[0] !== 0x04) throw new ChallengeRefusal('protocol_error', 'proof "key" is not an uncompressed point');
  return { key, binding, sig: bytesMember(o, 'sig', 64) };
}

/**
 * Checks a proof against the challenge of this connection. `exporter` is
 * this side's tls-exporter value (null when it cannot be computed: then
 * a `tls-exporter` proof is refused). Returns the prover's node ID.
 */
export function verifyProof(proof: Proof, challenge: Challenge, exporter: Uint8Array | null): NodeId {
  if (proof.binding === 'tls-exporter' && exporter === null) throw new ChallengeRefusal('unauthenticated', 'tls-exporter binding not available on this connection');
  const data = signedBytes(challenge.nonce, challenge.listener, proof.binding === 'tls-exporter' ? exporter! : new Uint8Array(0));
  let ok = false;
  try {
    const key = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: toBase64Url(proof.key.subarray(1, 33)), y: toBase64Url(proof.key.subarray(33, 65)) },
      format: 'jwk',
    });
    ok = verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, proof.sig);
  } catch (cause) {
    // A point off the curve, or anything else about the key: the same opaque refusal as a bad signature.
    throw new ChallengeRefusal('unauthenticated', 'proof refused', { cause });
  }
  if (!ok) throw new ChallengeRefusal('unauthenticated', 'proof refused');
  return nodeIdFromPublicKey(proof.key);
}

/** One proof frame as it came off the socket → the prover's node ID, or a ChallengeRefusal. */
export function acceptProof(data: unknown, isBinary: boolean, challenge: Challenge, exporter: Uint8Array | null): NodeId {
  return verifyProof(parseProof(data, isBinary), challenge, exporter);
}

function frameObject(data: unknown, isBinary: boolean, type: 'challenge' | 'proof'): Record<string, unknown> {
  if (isBinary) throw new ChallengeRefusal('protocol_error', `binary frame: the ${type} is a text frame`);
  let text: string;
  if (typeof data === 'string') text = data;
  else if (data instanceof Uint8Array) text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  else if (Array.isArray(data) && data.every((d) => d instanceof Uint8Array)) text = Buffer.concat(data as Uint8Array[]).toString('utf8');
  else if (data instanceof ArrayBuffer) text = Buffer.from(data).toString('utf8');
  else throw new ChallengeRefusal('protocol_error', `the ${type} frame is not text`);
  if (Buffer.byteLength(text) > MAX_CHALLENGE_FRAME_BYTES) throw new ChallengeRefusal('protocol_error', `the ${type} frame is over ${MAX_CHALLENGE_FRAME_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ChallengeRefusal('protocol_error', `the ${type} frame is not JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ChallengeRefusal('protocol_error', `the ${type} frame is not a JSON object`);
  const o = parsed as Record<string, unknown>;
  if (o['type'] !== type) throw new ChallengeRefusal('protocol_error', `expected a frame of type "${type}"`);
  return o;
}

function bytesMember(o: Record<string, unknown>, name: string, length: number): Buffer {
  const v = o[name];
  if (typeof v !== 'string') throw new ChallengeRefusal('protocol_error', `"${name}" must be a base64url string`);
  let bytes: Buffer;
  try {
    bytes = fromBase64Url(v);
  } catch {
    throw new ChallengeRefusal('protocol_error', `"${name}" is not valid base64url`);
  }
  if (bytes.length !== length) throw new ChallengeRefusal('protocol_error', `"${name}" must be ${length} bytes`);
  return bytes;
}
