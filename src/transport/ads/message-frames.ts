import protobuf from 'protobufjs';
import { STATUS_TYPE_URL, WEBPUSH_MESSAGE_TYPE_URL } from '../../proto/any.js';

/**
 * The two frames that carry messages, written straight to a protobufjs
 * Writer: the same messages encodeDiscoveryRequest / encodeDiscoveryResponse
 * give (test/transport/message-frames.test.ts decodes both), without
 * building plain objects for hundreds of resources per frame. Field
 * numbers: Envoy v3 discovery.proto and pushmesh's field 1000.
 */
const TYPE_URL = Buffer.from(WEBPUSH_MESSAGE_TYPE_URL, 'utf8');

/** google.protobuf.Any{type_url = WebpushMessage, value} as a length-delimited field `tag`. */
function writeAny(w: protobuf.Writer, tag: number, value: Uint8Array): void {
  w.uint32(tag).fork();
  w.uint32((1 << 3) | 2).uint32(TYPE_URL.length).raw(TYPE_URL); // type_url = 1
  w.uint32((2 << 3) | 2).bytes(value); // value = 2
  w.ldelim();
}

function finish(w: protobuf.Writer): Buffer {
  const out = w.finish();
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * DiscoveryRequest{version_info (1), type_url (4), response_nonce (5),
 * pushmesh_resources (1000): messages}: messages, and with `ack` the ACK
 * of a response in the same request (docs/transports.md).
 */
export function messagesRequest(values: readonly Uint8Array[], ack?: { nonce: string; version: string }): Buffer {
  const w = protobuf.Writer.create();
  if (ack && ack.version !== '') w.uint32((1 << 3) | 2).string(ack.version);
  w.uint32((4 << 3) | 2).uint32(TYPE_URL.length).raw(TYPE_URL);
  if (ack && ack.nonce !== '') w.uint32((5 << 3) | 2).string(ack.nonce);
  for (const v of values) writeAny(w, (1000 << 3) | 2, v);
  return finish(w);
}

/** DiscoveryRequest{version_info (1), type_url (4), response_nonce (5)}: the ACK of a response of messages. */
export function ackRequest(nonce: string, version: string): Buffer {
  return messagesRequest([], { nonce, version });
}

const STATUS_TYPE = Buffer.from(STATUS_TYPE_URL, 'utf8');

/** DiscoveryResponse{type_url (4) = google.rpc.Status, nonce (5), control_plane (6)}: every message of a request accepted (no resources). */
export function acceptedResponse(nonce: string, identifier: string): Buffer {
  const w = protobuf.Writer.create();
  w.uint32((4 << 3) | 2).uint32(STATUS_TYPE.length).raw(STATUS_TYPE);
  w.uint32((5 << 3) | 2).string(nonce);
  w.uint32((6 << 3) | 2).fork().uint32((1 << 3) | 2).string(identifier).ldelim();
  return finish(w);
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

/**
 * DiscoveryResponse{version_info (1), resources (2), type_url (4), nonce (5),
 * control_plane (6){identifier (1)}, pushmesh_answers (1000)}: without
 * `answers` (or with none) exactly the base protocol's bytes; with them,
 * each a pushmesh.v1.RequestAnswer{request (1), statuses (2)} (only for a
 * client that asked for them, docs/transports.md).
 */
export function messagesResponse(nonce: string, values: readonly Uint8Array[], identifier: string, answers: readonly CarriedAnswer[] = []): Buffer {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).string(nonce);
  for (const v of values) writeAny(w, (2 << 3) | 2, v);
  w.uint32((4 << 3) | 2).uint32(TYPE_URL.length).raw(TYPE_URL);
  w.uint32((5 << 3) | 2).string(nonce);
  w.uint32((6 << 3) | 2).fork().uint32((1 << 3) | 2).string(identifier).ldelim();
  for (const a of answers) {
    w.uint32((1000 << 3) | 2).fork();
    w.uint32(1 << 3).uint64(a.request); // request = 1, a varint
    for (const s of a.statuses) w.uint32((2 << 3) | 2).bytes(s); // statuses = 2
    w.ldelim();
  }
  return finish(w);
}
