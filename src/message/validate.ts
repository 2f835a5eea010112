// Pure imports only: src/browser/ shares this module (.dependency-cruiser.cjs BROWSER_SHARED).
import { PushmeshError, VapidError } from '../errors/pushmesh-error.js';
import { isNodeId } from '../identity/node-id-syntax.js';
import { badMessage } from './bad-message.js';
import {
  MAX_AUTHORIZATION_LENGTH,
  MAX_BODY_BYTES,
  MAX_HOPS,
  MAX_TTL_SECONDS,
  MIN_BODY_BYTES,
  isMessageId,
  isReplaceKey,
  isUnixMillis,
} from './limits.js';
import { URGENCIES, type Message, type WebpushMessage } from './types.js';

function check(ok: boolean, reason: string): void {
  if (!ok) throw badMessage(reason);
}

function checkHops(ids: unknown, field: string): void {
  check(Array.isArray(ids), `${field} is not a list`);
  const list = ids as unknown[];
  check(list.length <= MAX_HOPS, `${field} has more than ${MAX_HOPS} entries`);
  for (const id of list) check(typeof id === 'string' && isNodeId(id), `${field} holds something that is not a node ID`);
}

function checkCommon(m: { id: unknown; ttl: unknown; urgency: unknown; time: unknown }): void {
  check(typeof m.id === 'string' && isMessageId(m.id), 'id is not 1-64 base64url characters');
  check(Number.isInteger(m.ttl) && (m.ttl as number) >= 0 && (m.ttl as number) <= MAX_TTL_SECONDS, `ttl is not 0-${MAX_TTL_SECONDS} seconds`);
  check((URGENCIES as readonly unknown[]).includes(m.urgency), 'urgency is not one of the RFC 8030 values');
  check(typeof m.time === 'number' && isUnixMillis(m.time), 'time is not Unix milliseconds');
}

/**
 * Throws ERR_BAD_MESSAGE unless `wire` is within every bound of
 * docs/wire-format.md. Two carry the precise error as `cause`, so a NACK
 * can say which: a body over 4096 bytes (ERR_PAYLOAD_TOO_LARGE, reason
 * "too_large") and a missing authorization (ERR_VAPID_MISSING, "unauthorized").
 */
export function validateWebpushMessage(wire: WebpushMessage): void {
  checkCommon(wire);
  check(typeof wire.from === 'string' && isNodeId(wire.from), 'from is not a node ID');
  check(typeof wire.to === 'string' && isNodeId(wire.to), 'to is not a node ID');
  check(wire.replace === '' || (typeof wire.replace === 'string' && isReplaceKey(wire.replace)), 'replace is not an RFC 8030 Topic');
  checkHops(wire.path, 'path');
  checkHops(wire.via, 'via');
  check(Number.isInteger(wire.hopLimit) && wire.hopLimit >= 0 && wire.hopLimit <= MAX_HOPS, `hop_limit is not 0-${MAX_HOPS}`);
  check(typeof wire.receipt === 'boolean', 'receipt is not a boolean');
  if (typeof wire.authorization !== 'string' || wire.authorization.length === 0) {
    throw badMessage('authorization is missing', new VapidError('ERR_VAPID_MISSING', 'no VAPID authorization'));
  }
  check(wire.authorization.length <= MAX_AUTHORIZATION_LENGTH, 'authorization is too long');
  check(wire.body instanceof Uint8Array, 'body is not bytes');
  if (wire.body.length > MAX_BODY_BYTES) {
    const tooLarge = new PushmeshError('ERR_PAYLOAD_TOO_LARGE', `body is ${wire.body.length} bytes, over ${MAX_BODY_BYTES}`);
    throw badMessage(tooLarge.message, tooLarge);
  }
  check(wire.senderMac === undefined || (wire.senderMac instanceof Uint8Array && wire.senderMac.length === 32), 'sender_mac is not 32 bytes');
  check(wire.body.length >= MIN_BODY_BYTES, `body is shorter than ${MIN_BODY_BYTES} bytes, the smallest aes128gcm body`);
}

/** Throws ERR_BAD_MESSAGE unless `msg` is a well-formed plaintext message. */
export function validateMessage(msg: Message): void {
  checkCommon(msg);
  check(typeof msg.from === 'string' && isNodeId(msg.from), 'from is not a node ID');
  check(msg.to === '' || (typeof msg.to === 'string' && isNodeId(msg.to)), 'to is neither empty nor a node ID');
  check(typeof msg.topic === 'string', 'topic is not a string');
  check(msg.replace === undefined || msg.replace === '' || (typeof msg.replace === 'string' && isReplaceKey(msg.replace)), 'replace is not an RFC 8030 Topic');
  check(typeof msg.meta === 'object' && msg.meta !== null && !Array.isArray(msg.meta), 'meta is not a string map');
  for (const value of Object.values(msg.meta)) check(typeof value === 'string', 'meta holds a value that is not a string');
  const data = msg.data as { kind?: unknown; value?: unknown } | null;
  check(typeof data === 'object' && data !== null, 'data is missing');
  switch (data?.kind) {
    case 'json':
      check(data.value !== undefined, 'JSON payload has no value');
      break;
    case 'text':
      check(typeof data.value === 'string', 'text payload is not a string');
      break;
    case 'bytes':
      check(data.value instanceof Uint8Array, 'bytes payload is not bytes');
      break;
    default:
      throw badMessage('data kind is not json, text or bytes');
  }
}
