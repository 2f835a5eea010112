/**
 * The WebSocket link's challenge, prover side (src/transport/auth/ws-challenge.ts):
 *
 *   relay → tab  {"type":"challenge","nonce":<32 bytes>,"listener":<relay node ID>}
 *   tab → relay  {"type":"proof","key":<65-byte key>,"binding":"none","sig":<64-byte r‖s>}
 *
 * signed = "pushmesh ws-challenge v1" ‖ 0x00 ‖ nonce ‖ listener (ASCII) ‖ len(binding value) ‖ binding value,
 * ECDSA P-256 SHA-256, IEEE P1363. A browser cannot read the TLS exporter,
 * so its binding is "none" (an empty binding value).
 */
import { concatBytes, fromBase64Url, toBase64Url, utf8 } from './bytes.js';
import { ecdsaSign } from './crypto.js';
import { PushmeshError } from './errors.js';
import type { BrowserIdentity } from './identity.js';
import { isNodeId, type NodeId } from './node-id.js';

export const CHALLENGE_DOMAIN = 'pushmesh ws-challenge v1';
export const NONCE_BYTES = 32;
export const MAX_CHALLENGE_FRAME_BYTES = 1024;

export interface Challenge {
  nonce: Uint8Array;
  listener: NodeId;
}

export type ChannelBindingKind = 'tls-exporter' | 'none';

export interface Proof {
  key: Uint8Array;
  binding: ChannelBindingKind;
  sig: Uint8Array;
}

function refused(reason: string): PushmeshError {
  return new PushmeshError('ERR_PEER_REFUSED', `challenge refused: ${reason}`);
}

/** The bytes a proof signs. */
export function challengeSignedBytes(nonce: Uint8Array, listener: NodeId, bindingValue: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (nonce.length !== NONCE_BYTES) throw new TypeError(`the nonce must be ${NONCE_BYTES} bytes`);
  if (!isNodeId(listener)) throw new TypeError('the listener must be a full node ID');
  if (bindingValue.length > 255) throw new TypeError('the binding value must be at most 255 bytes');
  return concatBytes(utf8(CHALLENGE_DOMAIN), new Uint8Array([0]), nonce, utf8(listener), new Uint8Array([bindingValue.length]), bindingValue);
}

/** Reads the relay's challenge text frame; anything else is ERR_PEER_REFUSED. */
export function parseChallenge(text: unknown): Challenge {
  if (typeof text !== 'string') throw refused('the challenge frame is not text');
  if (text.length > MAX_CHALLENGE_FRAME_BYTES || utf8(text).length > MAX_CHALLENGE_FRAME_BYTES) throw refused(`the challenge frame is over ${MAX_CHALLENGE_FRAME_BYTES} bytes`);
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    throw refused('the challenge frame is not JSON');
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw refused('the challenge frame is not a JSON object');
  const r = o as Record<string, unknown>;
  if (r['type'] !== 'challenge') throw refused('expected a frame of type "challenge"');
  const n = r['nonce'];
  let nonce: Uint8Array;
  try {
    if (typeof n !== 'string') throw new TypeError('not a string');
    nonce = fromBase64Url(n);
  } catch {
    throw refused('"nonce" is not base64url');
  }
  if (nonce.length !== NONCE_BYTES) throw refused(`"nonce" must be ${NONCE_BYTES} bytes`);
  const listener = r['listener'];
  if (!isNodeId(listener)) throw refused('challenge "listener" is not a node ID');
  return { nonce, listener };
}

/** Signs the challenge with the identity's key (binding "none"). */
export async function signChallenge(challenge: Challenge, identity: Pick<BrowserIdentity, 'signingKey' | 'publicKey'>): Promise<Proof> {
  const sig = await ecdsaSign(identity.signingKey, challengeSignedBytes(challenge.nonce, challenge.listener));
  return { key: identity.publicKey.slice(), binding: 'none', sig };
}

/** The proof text frame. */
export function encodeProof(p: Proof): string {
  return JSON.stringify({ type: 'proof', key: toBase64Url(p.key), binding: p.binding, sig: toBase64Url(p.sig) });
}

/** Challenge text → proof text, in one step (what a link does on connect). */
export async function answerChallenge(text: unknown, identity: Pick<BrowserIdentity, 'signingKey' | 'publicKey'>): Promise<{ challenge: Challenge; proof: string }> {
  const challenge = parseChallenge(text);
  return { challenge, proof: encodeProof(await signChallenge(challenge, identity)) };
}
