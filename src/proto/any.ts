import { bytes, bytesView, decodeMapped, encodeRaw, str } from './raw.js';
import type { Any } from './types.js';

/** The type URL prefix pushmesh writes (the one Envoy and Google use). */
export const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** `type.googleapis.com/<full name>` for a message type. */
export function typeUrlFor(fullName: string): string {
  return TYPE_URL_PREFIX + fullName;
}

/** The type URL of pushmesh messages between nodes, in xDS resources and WebSocket frames. */
export const WEBPUSH_MESSAGE_TYPE_URL = typeUrlFor('pushmesh.v1.WebpushMessage');

/** The type URL of google.rpc.Status (acknowledgements of client-sent messages). */
export const STATUS_TYPE_URL = typeUrlFor('google.rpc.Status');

export function encodeAny(any: Any): Buffer {
  return encodeRaw('google.protobuf.Any', anyToRaw(any));
}

/** Decodes a serialized google.protobuf.Any; throws ERR_BAD_MESSAGE only. */
export function decodeAny(data: Uint8Array): Any {
  return decodeMapped('google.protobuf.Any', data, (raw) => anyFromRaw(raw, 'Any'));
}

/** @internal Maps a decoded Any plain object (field `type_url`, see anyToRaw). */
export function anyFromRaw(raw: Record<string, unknown>, field: string): Any {
  return { typeUrl: str(raw.type_url, `${field}.type_url`), value: bytes(raw.value, `${field}.value`) };
}

/** @internal anyFromRaw whose value is a view into the decoded input (no copy): see bytesView. */
export function anyViewFromRaw(raw: Record<string, unknown>, field: string): Any {
  return { typeUrl: str(raw.type_url, `${field}.type_url`), value: bytesView(raw.value, `${field}.value`) };
}

/**
 * @internal Plain object of an Any for encoding inside another message.
 * protobufjs's bundled Any keeps the proto name `type_url` (it is not
 * camelCased like the fields of our own .proto files).
 */
export function anyToRaw(any: Any): Record<string, unknown> {
  return { type_url: any.typeUrl, value: any.value };
}
