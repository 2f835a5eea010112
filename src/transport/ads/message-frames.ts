import { STATUS_TYPE_URL, WEBPUSH_MESSAGE_TYPE_URL } from '../../proto/any.js';

/**
 * The frames of the hot path (messages, ACKs, compact status responses),
 * written straight into one buffer of the exact size: the same messages
 * encodeDiscoveryRequest / encodeDiscoveryResponse give
 * (test/transport/message-frames.test.ts decodes both, and pins the bytes
 * against a protobufjs Writer), without building plain objects or a
 * writer's list of operations for every frame. Field numbers: Envoy v3
 * discovery.proto and pushmesh's fields 1000.
 */
const TYPE_URL = Buffer.from(WEBPUSH_MESSAGE_TYPE_URL, 'utf8');
const STATUS_TYPE = Buffer.from(STATUS_TYPE_URL, 'utf8');
/** google.protobuf.Any{type_url = WebpushMessage}: its first field, the same in every resource. */
const ANY_TYPE_URL_FIELD = Buffer.concat([Buffer.of(0x0a, TYPE_URL.length), TYPE_URL]);

/** Bytes of a varint for 0 ≤ n < 2^53. */
function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Writes a varint (0 ≤ n < 2^53) at `off`; returns the offset after it. */
function putVarint(buf: Buffer, off: number, n: number): number {
  while (n >= 128) {
    buf[off++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[off++] = n;
  return off;
}

/** A length-delimited field's tag, length and bytes: size. */
const fieldSize = (tagBytes: number, length: number): number => tagBytes + varintSize(length) + length;

/** Serialized size of Any{type_url = WebpushMessage, value}. */
const anySize = (value: Uint8Array): number => ANY_TYPE_URL_FIELD.length + fieldSize(1, value.length);

function putAny(buf: Buffer, off: number, value: Uint8Array): number {
  off += ANY_TYPE_URL_FIELD.copy(buf, off);
  buf[off++] = 0x12; // value = 2
  off = putVarint(buf, off, value.length);
  buf.set(value, off);
  return off + value.length;
}

/** A length-delimited field holding a UTF-8 string (one-byte tag). */
function putString(buf: Buffer, off: number, tag: number, text: string, length: number): number {
  buf[off++] = tag;
  off = putVarint(buf, off, length);
  return off + buf.write(text, off, length, 'utf8');
}

function putBytes(buf: Buffer, off: number, tag: number, bytes: Uint8Array): number {
  buf[off++] = tag;
  off = putVarint(buf, off, bytes.length);
  buf.set(bytes, off);
  return off + bytes.length;
}

/** Field 1000, wire type 2: tag bytes C2 3E. */
function putTag1000(buf: Buffer, off: number): number {
  buf[off++] = 0xc2;
  buf[off++] = 0x3e;
  return off;
}

/**
 * DiscoveryRequest{version_info (1), type_url (4), response_nonce (5),
 * pushmesh_resources (1000): messages}: messages, and with `ack` the ACK
 * of a response in the same request (docs/transports.md).
 */
export function messagesRequest(values: readonly Uint8Array[], ack?: { nonce: string; version: string }): Buffer {
  const versionLength = ack ? Buffer.byteLength(ack.version) : 0;
  const nonceLength = ack ? Buffer.byteLength(ack.nonce) : 0;
  let size = fieldSize(1, TYPE_URL.length);
  if (versionLength > 0) size += fieldSize(1, versionLength);
  if (nonceLength > 0) size += fieldSize(1, nonceLength);
  for (const v of values) size += fieldSize(2, anySize(v));
  const buf = Buffer.allocUnsafe(size);
  let off = 0;
  if (versionLength > 0) off = putString(buf, off, (1 << 3) | 2, ack!.version, versionLength);
  off = putBytes(buf, off, (4 << 3) | 2, TYPE_URL);
  if (nonceLength > 0) off = putString(buf, off, (5 << 3) | 2, ack!.nonce, nonceLength);
  for (const v of values) {
    off = putTag1000(buf, off);
    off = putVarint(buf, off, anySize(v));
    off = putAny(buf, off, v);
  }
  return buf;
}

/** DiscoveryRequest{version_info (1), type_url (4), response_nonce (5)}: the ACK of a response of messages. */
export function ackRequest(nonce: string, version: string): Buffer {
  return messagesRequest([], { nonce, version });
}

/** Size of ControlPlane{identifier (1)} as field 6 of a response. */
function controlPlaneSize(identifierLength: number): number {
  return fieldSize(1, fieldSize(1, identifierLength));
}

function putControlPlane(buf: Buffer, off: number, identifier: string, identifierLength: number): number {
  buf[off++] = (6 << 3) | 2;
  off = putVarint(buf, off, fieldSize(1, identifierLength));
  return putString(buf, off, (1 << 3) | 2, identifier, identifierLength);
}

/** DiscoveryResponse{type_url (4) = google.rpc.Status, nonce (5), control_plane (6)}: every message of a request accepted (no resources). */
export function acceptedResponse(nonce: string, identifier: string): Buffer {
  const nonceLength = Buffer.byteLength(nonce);
  const idLength = Buffer.byteLength(identifier);
  const buf = Buffer.allocUnsafe(fieldSize(1, STATUS_TYPE.length) + fieldSize(1, nonceLength) + controlPlaneSize(idLength));
  let off = putBytes(buf, 0, (4 << 3) | 2, STATUS_TYPE);
  off = putString(buf, off, (5 << 3) | 2, nonce, nonceLength);
  putControlPlane(buf, off, identifier, idLength);
  return buf;
}

/**
 * One answer to a client's request of messages, ready to be carried in a
 * response of messages: the request's number on the stream and one
 * serialized google.rpc.Status per message (none when all were accepted).
 */
export interface CarriedAnswer {
  request: number;
  statuses: readonly Uint8Array[];
}

/** Serialized size of pushmesh.v1.RequestAnswer{request (1), statuses (2)}. */
function answerSize(a: CarriedAnswer): number {
  let size = 1 + varintSize(a.request);
  for (const s of a.statuses) size += fieldSize(1, s.length);
  return size;
}

/**
 * DiscoveryResponse{version_info (1), resources (2), type_url (4), nonce (5),
 * control_plane (6){identifier (1)}, pushmesh_answers (1000)}: without
 * `answers` (or with none) exactly the base protocol's bytes; with them,
 * each a pushmesh.v1.RequestAnswer{request (1), statuses (2)} (only for a
 * client that asked for them, docs/transports.md).
 */
export function messagesResponse(nonce: string, values: readonly Uint8Array[], identifier: string, answers: readonly CarriedAnswer[] = []): Buffer {
  const nonceLength = Buffer.byteLength(nonce);
  const idLength = Buffer.byteLength(identifier);
  let size = 2 * fieldSize(1, nonceLength) + fieldSize(1, TYPE_URL.length) + controlPlaneSize(idLength);
  for (const v of values) size += fieldSize(1, anySize(v));
  for (const a of answers) size += fieldSize(2, answerSize(a));
  const buf = Buffer.allocUnsafe(size);
  let off = putString(buf, 0, (1 << 3) | 2, nonce, nonceLength); // version_info = the nonce
  for (const v of values) {
    buf[off++] = (2 << 3) | 2;
    off = putVarint(buf, off, anySize(v));
    off = putAny(buf, off, v);
  }
  off = putBytes(buf, off, (4 << 3) | 2, TYPE_URL);
  off = putString(buf, off, (5 << 3) | 2, nonce, nonceLength);
  off = putControlPlane(buf, off, identifier, idLength);
  for (const a of answers) {
    off = putTag1000(buf, off);
    off = putVarint(buf, off, answerSize(a));
    buf[off++] = 1 << 3; // request = 1, a varint
    off = putVarint(buf, off, a.request);
    for (const s of a.statuses) off = putBytes(buf, off, (2 << 3) | 2, s); // statuses = 2
  }
  return buf;
}
