import { createPublicKey } from 'node:crypto';
import { isPushmeshError, PushmeshError } from '../errors/index.js';
import { fromBase64Url } from '../util/base64url.js';
import { AUTH_SECRET_LENGTH } from './auth-secret.js';
import { isNodeId, nodeIdFromPublicKey } from './node-id.js';
import type { Card } from './types.js';

/** Largest card text accepted from a file or the network. */
export const MAX_CARD_BYTES = 16 * 1024;
/** The P-256 field prime: coordinates must be below it. */
const P256_P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;

/**
 * Strictly validate a card received from outside and return a clean copy
 * (unknown fields, such as a subscription's `expirationTime`, are dropped).
 * Every refusal is ERR_BAD_CARD with the reason; nothing else is thrown.
 */
export function parseCard(json: unknown): Card {
  try {
    return validate(json);
  } catch (err) {
    if (isPushmeshError(err) && err.code === 'ERR_BAD_CARD') throw err;
    throw badCard('card could not be read', err);
  }
}

/** parseCard over JSON text (a file, an HTTP body). */
export function parseCardText(text: string): Card {
  if (Buffer.byteLength(text) > MAX_CARD_BYTES) throw badCard(`card is larger than ${MAX_CARD_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw badCard('card is not valid JSON', err);
  }
  return parseCard(json);
}

function validate(json: unknown): Card {
  const card = record(json, 'card');
  const id = string(card, 'id');
  if (!isNodeId(id)) throw badCard('id is not a 52-character node ID');
  const endpoint = string(card, 'endpoint');
  // Empty: the node serves no Web Push endpoint (reached over a link or through a relay only).
  if (endpoint !== '') checkEndpoint(endpoint);
  const keys = record(card['keys'], 'keys');
  const p256dh = string(keys, 'p256dh', 'keys.p256dh');
  const publicKey = bytes(p256dh, 'keys.p256dh');
  checkPublicKey(publicKey);
  if (nodeIdFromPublicKey(publicKey) !== id) throw badCard('id does not match keys.p256dh');
  const auth = string(keys, 'auth', 'keys.auth');
  if (bytes(auth, 'keys.auth').length !== AUTH_SECRET_LENGTH) throw badCard(`keys.auth is not ${AUTH_SECRET_LENGTH} bytes`);
  return { id, endpoint, keys: { p256dh, auth } };
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

function bytes(text: string, name: string): Buffer {
  try {
    return fromBase64Url(text);
  } catch (err) {
    throw badCard(`${name} is not base64url`, err);
  }
}

function checkEndpoint(endpoint: string): void {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (err) {
    throw badCard('endpoint is not a URL', err);
  }
  if (url.protocol !== 'https:') throw badCard('endpoint is not an https URL');
  if (url.username !== '' || url.password !== '') throw badCard('endpoint must not carry credentials');
}

/** A 65-byte uncompressed point, with coordinates in range, on P-256. */
function checkPublicKey(key: Buffer): void {
  if (key.length !== 65 || key[0] !== 0x04) throw badCard('keys.p256dh is not a 65-byte uncompressed P-256 point');
  const x = key.subarray(1, 33);
  const y = key.subarray(33);
  if (BigInt('0x' + x.toString('hex')) >= P256_P || BigInt('0x' + y.toString('hex')) >= P256_P) {
    throw badCard('keys.p256dh is not on the P-256 curve');
  }
  try {
    createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: x.toString('base64url'), y: y.toString('base64url') }, format: 'jwk' });
  } catch (err) {
    throw badCard('keys.p256dh is not on the P-256 curve', err);
  }
}

function badCard(reason: string, cause?: unknown): PushmeshError {
  return new PushmeshError('ERR_BAD_CARD', `bad card: ${reason}`, cause === undefined ? undefined : { cause });
}
