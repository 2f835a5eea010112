import { PushmeshError } from '../errors/index.js';
import { badMessage } from '../message/bad-message.js';
import type { WebpushMessage } from '../message/types.js';
import { WEBPUSH_MESSAGE_TYPE_URL } from './any.js';
import type { Any } from './types.js';
import { decodeWebpushMessage, encodeWebpushMessage } from './webpush-message.js';

/** Packs a WebpushMessage as an xDS resource (`type.googleapis.com/pushmesh.v1.WebpushMessage`). */
export function toAny(wire: WebpushMessage): Any {
  return { typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value: encodeWebpushMessage(wire) };
}

/**
 * Unpacks a WebpushMessage resource. The type URL must be exactly
 * WEBPUSH_MESSAGE_TYPE_URL. Throws ERR_BAD_MESSAGE only.
 */
export function fromAny(any: Any): WebpushMessage {
  if (typeof any !== 'object' || any === null) throw badMessage('resource is not an Any');
  if (any.typeUrl !== WEBPUSH_MESSAGE_TYPE_URL) {
    throw badMessage(`resource type ${JSON.stringify(String(any.typeUrl)).slice(0, 200)} is not ${WEBPUSH_MESSAGE_TYPE_URL}`);
  }
  try {
    return decodeWebpushMessage(any.value);
  } catch (err) {
    if (err instanceof PushmeshError && err.code === 'ERR_BAD_MESSAGE') throw err;
    throw badMessage('resource value is not a WebpushMessage', err);
  }
}
