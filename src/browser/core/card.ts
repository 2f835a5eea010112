/**
 * Cards (docs/identity.md): `{"id","endpoint","keys":{"p256dh","auth"}}`.
 * A tab serves no Web Push endpoint, so its card's endpoint is "" (it is
 * reached over its link, through the relay).
 */
import { fromBase64Url, toBase64Url, utf8 } from './bytes.js';
import { importP256PublicKey } from './crypto.js';
import { PushmeshError, isPushmeshError } from './errors.js';
import type { BrowserIdentity } from './identity.js';
import { isNodeId, nodeIdOf, type NodeId } from './node-id.js';
import type { WebPushRecipient } from './webpush.js';

export interface Card {
  id: NodeId;
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export const MAX_CARD_BYTES = 16 * 1024;

/** This identity's card; `endpoint` "" (default) or a full https URL. */
export function cardOf(identity: BrowserIdentity, endpoint = ''): Card {
  return { id: identity.id, endpoint, keys: { p256dh: toBase64Url(identity.publicKey), auth: toBase64Url(identity.auth) } };
}

function badCard(reason: string, cause?: unknown): PushmeshError {
  return new PushmeshError('ERR_BAD_CARD', `bad card: ${reason}`, cause === undefined ? undefined : { cause });
}

/** Validates a card from outside as src/identity/parse-card.ts does (key on the curve, id = its node ID, auth 16 bytes); a clean copy, or ERR_BAD_CARD. */
export async function parseCard(json: unknown): Promise<Card> {
  try {
    return await validate(json);
  } catch (err) {
    if (isPushmeshError(err) && err.code === 'ERR_BAD_CARD') throw err;
    throw badCard('card could not be read', err);
  }
}

/** parseCard over JSON text; the bound is on its UTF-8 bytes, as the node's. */
export async function parseCardText(text: string): Promise<Card> {
  if (utf8(text).length > MAX_CARD_BYTES) throw badCard(`card is larger than ${MAX_CARD_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw badCard('card is not valid JSON', err);
  }
  return parseCard(json);
}

function record(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badCard(`${name} is not a JSON object`);
  return value as Record<string, unknown>;
}

function string(obj: Record<string, unknown>, key: string, name = key): string {
  const value = Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
  if (typeof value !== 'string') throw badCard(`${name} is ${value === undefined ? 'missing' : 'not a string'}`);
  return value;
}

function bytes(text: string, name: string): Uint8Array {
  try {
    return fromBase64Url(text);
  } catch (err) {
    throw badCard(`${name} is not base64url`, err);
  }
}

async function validate(json: unknown): Promise<Card> {
  const card = record(json, 'card');
  const id = string(card, 'id');
  if (!isNodeId(id)) throw badCard('id is not a 52-character node ID');
  const endpoint = string(card, 'endpoint');
  if (endpoint !== '') {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch (err) {
      throw badCard('endpoint is not a URL', err);
    }
    if (url.protocol !== 'https:') throw badCard('endpoint is not an https URL');
    if (url.username !== '' || url.password !== '') throw badCard('endpoint must not carry credentials');
  }
  const keys = record(card['keys'], 'keys');
  const p256dh = string(keys, 'p256dh', 'keys.p256dh');
  const publicKey = bytes(p256dh, 'keys.p256dh');
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) throw badCard('keys.p256dh is not a 65-byte uncompressed P-256 point');
  try {
    await importP256PublicKey(publicKey, 'ECDH');
  } catch (err) {
    throw badCard('keys.p256dh is not on the P-256 curve', err);
  }
  if ((await nodeIdOf(publicKey)) !== id) throw badCard('id does not match keys.p256dh');
  const auth = string(keys, 'auth', 'keys.auth');
  if (bytes(auth, 'keys.auth').length !== 16) throw badCard('keys.auth is not 16 bytes');
  return { id, endpoint, keys: { p256dh, auth } };
}

/** The Web Push keys of a card, checked: p256dh's node ID must be the card's ID, auth 16 bytes (ERR_BAD_CARD). */
export async function recipientOf(card: Card): Promise<WebPushRecipient> {
  let p256dh: Uint8Array;
  let auth: Uint8Array;
  try {
    p256dh = fromBase64Url(card.keys.p256dh);
    auth = fromBase64Url(card.keys.auth);
  } catch (cause) {
    throw badCard('card keys are not base64url', cause);
  }
  let id: NodeId;
  try {
    id = await nodeIdOf(p256dh);
  } catch (cause) {
    throw badCard('card p256dh is not a 65-byte uncompressed P-256 key', cause);
  }
  if (id !== card.id) throw badCard('card id is not the node ID of its p256dh key');
  if (auth.length !== 16) throw badCard('card auth secret is not 16 bytes');
  return { p256dh, auth };
}
