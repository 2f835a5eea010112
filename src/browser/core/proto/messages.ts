/**
 * The link's protobuf messages (proto/*.proto), encoded byte for byte as
 * the node's protobufjs encoders do and decoded to the same shapes as
 * src/proto/*.ts. Decoders take bytes from a peer: they return a value or
 * throw ERR_BAD_MESSAGE, nothing else.
 */
import { utf8 } from '../bytes.js';
import { badMessage } from '../errors.js';
import { validateWebpushMessage, type Urgency, type WebpushMessage } from '../message.js';
import {
  decoding,
  MAX_DEPTH,
  ProtoWriter,
  readBool,
  readBytes,
  readDouble,
  readFields,
  readInt32,
  readInt64,
  readString,
  readSub,
  readUint32,
  readUint64,
} from './wire.js';

export const TYPE_URL_PREFIX = 'type.googleapis.com/';
export const WEBPUSH_MESSAGE_TYPE_URL = `${TYPE_URL_PREFIX}pushmesh.v1.WebpushMessage`;
export const NODE_CARD_TYPE_URL = `${TYPE_URL_PREFIX}pushmesh.v1.NodeCard`;
export const STATUS_TYPE_URL = `${TYPE_URL_PREFIX}google.rpc.Status`;

// The message shapes are the node's src/proto/types.ts (types only, shared), not copies.
import type { Any, ControlPlane, DiscoveryRequest, DiscoveryResponse, JsonObject, JsonValue, Node, RequestAnswer, Status } from '../../../proto/types.js';
export type { Any, ControlPlane, DiscoveryRequest, DiscoveryResponse, JsonObject, JsonValue, Node, RequestAnswer, Status } from '../../../proto/types.js';

export interface NodeCardFields {
  id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
}

export type DiscoveryRequestInit = Partial<Omit<DiscoveryRequest, 'node' | 'errorDetail'>> & {
  node?: Partial<Node> | undefined;
  errorDetail?: Partial<Status> | undefined;
};
export type DiscoveryResponseInit = Partial<DiscoveryResponse>;

// ---- Any ----

function anyBytes(a: Any): Uint8Array {
  return new ProtoWriter().string(1, a.typeUrl).bytes(2, a.value).finish();
}

function anyFrom(buf: Uint8Array, what: string): Any {
  const a: Any = { typeUrl: '', value: new Uint8Array(0) };
  for (const f of readFields(buf, what)) {
    if (f.field === 1) a.typeUrl = readString(f, what);
    else if (f.field === 2) a.value = readBytes(f, what);
  }
  return a;
}

export function encodeAny(a: Any): Uint8Array {
  return anyBytes(a);
}

export function decodeAny(data: Uint8Array): Any {
  return decoding('google.protobuf.Any', () => anyFrom(data, 'google.protobuf.Any'));
}

// ---- google.rpc.Status ----

function statusBytes(s: Partial<Status>): Uint8Array {
  const w = new ProtoWriter().int(1, s.code).string(2, s.message);
  for (const d of s.details ?? []) w.lenAlways(3, anyBytes(d));
  return w.finish();
}

function statusFrom(buf: Uint8Array, what: string): Status {
  const s: Status = { code: 0, message: '', details: [] };
  for (const f of readFields(buf, what)) {
    if (f.field === 1) s.code = readInt32(f, what);
    else if (f.field === 2) s.message = readString(f, what);
    else if (f.field === 3) s.details.push(anyFrom(readSub(f, what), `${what}.details`));
  }
  return s;
}

export function encodeStatus(s: Partial<Status>): Uint8Array {
  return statusBytes(s);
}

export function decodeStatus(data: Uint8Array): Status {
  return decoding('google.rpc.Status', () => statusFrom(data, 'google.rpc.Status'));
}

// ---- pushmesh.v1.NodeCard ----

export function encodeNodeCard(c: NodeCardFields): Uint8Array {
  return new ProtoWriter().string(1, c.id).string(2, c.endpoint).string(3, c.p256dh).string(4, c.auth).finish();
}

export function decodeNodeCard(data: Uint8Array): NodeCardFields {
  const what = 'pushmesh.v1.NodeCard';
  return decoding(what, () => {
    const c: NodeCardFields = { id: '', endpoint: '', p256dh: '', auth: '' };
    for (const f of readFields(data, what)) {
      if (f.field === 1) c.id = readString(f, what);
      else if (f.field === 2) c.endpoint = readString(f, what);
      else if (f.field === 3) c.p256dh = readString(f, what);
      else if (f.field === 4) c.auth = readString(f, what);
    }
    return c;
  });
}

// ---- pushmesh.v1.WebpushMessage ----

const URGENCY_TO: Readonly<Record<Urgency, number>> = { 'very-low': 1, low: 2, normal: 3, high: 4 };
const URGENCY_FROM: readonly Urgency[] = ['normal', 'very-low', 'low', 'normal', 'high'];

/** Serializes a WebpushMessage (validated first: ERR_BAD_MESSAGE when out of bounds). */
export function encodeWebpushMessage(wire: WebpushMessage): Uint8Array {
  validateWebpushMessage(wire);
  return new ProtoWriter()
    .string(1, wire.id)
    .string(2, wire.from)
    .string(3, wire.to)
    .uint(4, wire.ttl)
    .uint(5, URGENCY_TO[wire.urgency])
    .string(6, wire.replace)
    .uint(7, wire.time)
    .strings(8, wire.path)
    .strings(9, wire.via)
    .uint(10, wire.hopLimit)
    .bool(11, wire.receipt)
    .string(12, wire.authorization)
    .bytes(13, wire.body)
    .bytes(14, wire.senderMac)
    .finish();
}

/** Parses and validates a WebpushMessage from a peer; ERR_BAD_MESSAGE only. VAPID and the MAC are openMessage's. */
export function decodeWebpushMessage(data: Uint8Array): WebpushMessage {
  const what = 'pushmesh.v1.WebpushMessage';
  return decoding(what, () => {
    const w: WebpushMessage = {
      id: '',
      from: '',
      to: '',
      ttl: 0,
      urgency: 'normal',
      replace: '',
      time: 0,
      path: [],
      via: [],
      hopLimit: 0,
      receipt: false,
      authorization: '',
      body: new Uint8Array(0),
    };
    let mac: Uint8Array = new Uint8Array(0);
    for (const f of readFields(data, what)) {
      switch (f.field) {
        case 1: w.id = readString(f, what); break;
        case 2: w.from = readString(f, what); break;
        case 3: w.to = readString(f, what); break;
        case 4: w.ttl = readUint32(f, what); break;
        case 5: {
          const u = URGENCY_FROM[readInt32(f, what)];
          if (u === undefined) throw badMessage('urgency is not a pushmesh.v1.Urgency value');
          w.urgency = u;
          break;
        }
        case 6: w.replace = readString(f, what); break;
        case 7: w.time = readInt64(f, what); break;
        case 8: w.path.push(readString(f, what)); break;
        case 9: w.via.push(readString(f, what)); break;
        case 10: w.hopLimit = readUint32(f, what); break;
        case 11: w.receipt = readBool(f, what); break;
        case 12: w.authorization = readString(f, what); break;
        case 13: w.body = readBytes(f, what); break;
        case 14: mac = readBytes(f, what); break;
        default: break;
      }
    }
    if (mac.length > 0) w.senderMac = mac;
    validateWebpushMessage(w);
    return w;
  });
}

/** A WebpushMessage as an Any resource. */
export function toAny(wire: WebpushMessage): Any {
  return { typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value: encodeWebpushMessage(wire) };
}

/** Unpacks a WebpushMessage resource (the type URL must be exactly WEBPUSH_MESSAGE_TYPE_URL); ERR_BAD_MESSAGE only. */
export function fromAny(any: Any): WebpushMessage {
  if (any.typeUrl !== WEBPUSH_MESSAGE_TYPE_URL) {
    throw badMessage(`resource type ${JSON.stringify(String(any.typeUrl)).slice(0, 200)} is not ${WEBPUSH_MESSAGE_TYPE_URL}`);
  }
  return decodeWebpushMessage(any.value);
}

// ---- google.protobuf.Struct ----

function valueBytes(v: JsonValue): Uint8Array {
  const w = new ProtoWriter();
  if (v === null) w.tag(1, 0).varint(0);
  else if (typeof v === 'number') w.double(2, v);
  else if (typeof v === 'string') w.lenAlways(3, utf8(v));
  else if (typeof v === 'boolean') w.tag(4, 0).varint(v ? 1 : 0);
  else if (Array.isArray(v)) {
    const list = new ProtoWriter();
    for (const item of v) list.lenAlways(1, valueBytes(item));
    w.lenAlways(6, list.finish());
  } else w.lenAlways(5, structBytes(v));
  return w.finish();
}

function structBytes(o: JsonObject): Uint8Array {
  const w = new ProtoWriter();
  for (const [key, v] of Object.entries(o)) {
    const entry = new ProtoWriter().lenAlways(1, utf8(key)).lenAlways(2, valueBytes(v)).finish();
    w.lenAlways(1, entry);
  }
  return w.finish();
}

function valueFrom(buf: Uint8Array, depth: number): JsonValue {
  const what = 'google.protobuf.Value';
  if (depth > MAX_DEPTH) throw badMessage(`${what}: nested too deep`);
  let v: JsonValue = null;
  for (const f of readFields(buf, what)) {
    switch (f.field) {
      case 1: readInt32(f, what); v = null; break;
      case 2: v = readDouble(f, what); break;
      case 3: v = readString(f, what); break;
      case 4: v = readBool(f, what); break;
      case 5: v = structFrom(readSub(f, what), depth + 1); break;
      case 6: {
        const list: JsonValue[] = [];
        for (const g of readFields(readSub(f, what), 'google.protobuf.ListValue')) {
          if (g.field === 1) list.push(valueFrom(readSub(g, what), depth + 1));
        }
        v = list;
        break;
      }
      default: break;
    }
  }
  return v;
}

function structFrom(buf: Uint8Array, depth: number): JsonObject {
  const what = 'google.protobuf.Struct';
  if (depth > MAX_DEPTH) throw badMessage(`${what}: nested too deep`);
  const out: JsonObject = {};
  for (const f of readFields(buf, what)) {
    if (f.field !== 1) continue;
    let key = '';
    let value: JsonValue = null;
    for (const g of readFields(readSub(f, what), `${what}.FieldsEntry`)) {
      if (g.field === 1) key = readString(g, what);
      else if (g.field === 2) value = valueFrom(readSub(g, what), depth + 1);
    }
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

// ---- envoy.config.core.v3.Node ----

function nodeBytes(n: Partial<Node>): Uint8Array {
  const w = new ProtoWriter().string(1, n.id).string(2, n.cluster);
  if (n.metadata !== undefined) w.lenAlways(3, structBytes(n.metadata));
  w.string(6, n.userAgentName);
  // A oneof member is written when set, even to "".
  if (n.userAgentVersion !== undefined) w.lenAlways(7, utf8(n.userAgentVersion));
  return w.strings(10, n.clientFeatures).finish();
}

function nodeFrom(buf: Uint8Array): Node {
  const what = 'envoy.config.core.v3.Node';
  const n: Node = { id: '', cluster: '', metadata: undefined, userAgentName: '', userAgentVersion: undefined, clientFeatures: [] };
  for (const f of readFields(buf, what)) {
    switch (f.field) {
      case 1: n.id = readString(f, what); break;
      case 2: n.cluster = readString(f, what); break;
      case 3: n.metadata = structFrom(readSub(f, what), 1); break;
      case 6: n.userAgentName = readString(f, what); break;
      case 7: n.userAgentVersion = readString(f, what); break;
      case 10: n.clientFeatures.push(readString(f, what)); break;
      default: break;
    }
  }
  return n;
}

// ---- DiscoveryRequest / DiscoveryResponse ----

export function encodeDiscoveryRequest(req: DiscoveryRequestInit): Uint8Array {
  const w = new ProtoWriter().string(1, req.versionInfo);
  if (req.node) w.lenAlways(2, nodeBytes(req.node));
  w.strings(3, req.resourceNames).string(4, req.typeUrl).string(5, req.responseNonce);
  if (req.errorDetail) w.lenAlways(6, statusBytes(req.errorDetail));
  for (const a of req.pushmeshResources ?? []) w.lenAlways(1000, anyBytes(a));
  return w.finish();
}

export function decodeDiscoveryRequest(data: Uint8Array): DiscoveryRequest {
  const what = 'envoy.service.discovery.v3.DiscoveryRequest';
  return decoding(what, () => {
    const r: DiscoveryRequest = { versionInfo: '', node: undefined, resourceNames: [], typeUrl: '', responseNonce: '', errorDetail: undefined, pushmeshResources: [] };
    for (const f of readFields(data, what)) {
      switch (f.field) {
        case 1: r.versionInfo = readString(f, what); break;
        case 2: r.node = nodeFrom(readSub(f, what)); break;
        case 3: r.resourceNames.push(readString(f, what)); break;
        case 4: r.typeUrl = readString(f, what); break;
        case 5: r.responseNonce = readString(f, what); break;
        case 6: r.errorDetail = statusFrom(readSub(f, what), 'error_detail'); break;
        case 1000: r.pushmeshResources.push(anyFrom(readSub(f, what), 'pushmesh_resources')); break;
        default: break;
      }
    }
    return r;
  });
}

export function encodeDiscoveryResponse(res: DiscoveryResponseInit): Uint8Array {
  const w = new ProtoWriter().string(1, res.versionInfo);
  for (const a of res.resources ?? []) w.lenAlways(2, anyBytes(a));
  w.bool(3, res.canary).string(4, res.typeUrl).string(5, res.nonce);
  if (res.controlPlane) w.lenAlways(6, new ProtoWriter().string(1, res.controlPlane.identifier).finish());
  for (const a of res.pushmeshAnswers ?? []) {
    const aw = new ProtoWriter().uint(1, a.request);
    for (const s of a.statuses) aw.lenAlways(2, statusBytes(s));
    w.lenAlways(1000, aw.finish());
  }
  return w.finish();
}

export function decodeDiscoveryResponse(data: Uint8Array): DiscoveryResponse {
  const what = 'envoy.service.discovery.v3.DiscoveryResponse';
  return decoding(what, () => {
    const r: DiscoveryResponse = { versionInfo: '', resources: [], canary: false, typeUrl: '', nonce: '', controlPlane: undefined };
    const answers: RequestAnswer[] = [];
    for (const f of readFields(data, what)) {
      switch (f.field) {
        case 1: r.versionInfo = readString(f, what); break;
        case 2: r.resources.push(anyFrom(readSub(f, what), 'resources')); break;
        case 3: r.canary = readBool(f, what); break;
        case 4: r.typeUrl = readString(f, what); break;
        case 5: r.nonce = readString(f, what); break;
        case 6: {
          const cp: ControlPlane = { identifier: '' };
          for (const g of readFields(readSub(f, what), 'control_plane')) if (g.field === 1) cp.identifier = readString(g, what);
          r.controlPlane = cp;
          break;
        }
        case 1000: {
          const a: RequestAnswer = { request: 0, statuses: [] };
          for (const g of readFields(readSub(f, what), 'pushmesh_answers')) {
            if (g.field === 1) a.request = readUint64(g, what);
            else if (g.field === 2) a.statuses.push(statusFrom(readSub(g, what), 'pushmesh_answers.statuses'));
          }
          answers.push(a);
          break;
        }
        default: break;
      }
    }
    if (answers.length > 0) r.pushmeshAnswers = answers;
    return r;
  });
}
