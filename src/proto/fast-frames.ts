import { isUtf8 } from 'node:buffer';
import { WEBPUSH_MESSAGE_TYPE_URL } from './any.js';
import type { Any, DiscoveryRequest, DiscoveryResponse, RequestAnswer } from './types.js';

/**
 * A fast reader for the frames that carry every link message: a
 * DiscoveryRequest of messages / ACK, and a DiscoveryResponse of messages
 * / compact status response — the shapes message-frames.ts writes. It
 * reads only those shapes, in one pass, with resource values as views
 * into the input and the common type URL recognised by its bytes. On
 * anything else (another field, a repeated scalar, an unusual varint, a
 * length past the end, a status inside an answer) it gives up and returns
 * null, and the caller decodes with protobufjs as before — so its results
 * are always protobufjs's (test/transport/fast-frames.test.ts checks this
 * on arbitrary bytes). Peer input: it never throws.
 */

const WEBPUSH_TYPE = Buffer.from(WEBPUSH_MESSAGE_TYPE_URL, 'utf8');

class GiveUp {}
const GIVE_UP = new GiveUp();

class Cursor {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** A varint below 2^31 (tags, lengths); anything longer gives up. */
  small(): number {
    const buf = this.buf;
    let value = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (this.pos >= this.end) throw GIVE_UP;
      const b = buf[this.pos++]!;
      value |= (b & 127) << shift;
      if (b < 128) return value;
    }
    if (this.pos >= this.end) throw GIVE_UP;
    const b = buf[this.pos++]!;
    if (b > 7) throw GIVE_UP; // 2^31 or more, or longer than five bytes
    return (value | (b << 28)) >>> 0;
  }

  /** A varint below 2^49 (request numbers); anything longer gives up. */
  number(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.end) throw GIVE_UP;
      const b = this.buf[this.pos++]!;
      value += (b & 127) * scale;
      if (b < 128) return value;
      scale *= 128;
    }
    throw GIVE_UP;
  }

  /** The bounds of a length-delimited field's payload; the cursor moves past it. */
  delimited(): number {
    const length = this.small();
    const start = this.pos;
    if (length > this.end - start) throw GIVE_UP;
    this.pos = start + length;
    return start;
  }
}

/** A string field whose payload is buf[start, end): strict UTF-8, as protobufjs reads it here (fast-strings.ts). */
function text(buf: Buffer, start: number, end: number): string {
  if (end - start === WEBPUSH_TYPE.length && buf.compare(WEBPUSH_TYPE, 0, WEBPUSH_TYPE.length, start, end) === 0) return WEBPUSH_MESSAGE_TYPE_URL;
  const s = buf.toString('utf8', start, end);
  if (s.includes('\uFFFD') && !isUtf8(buf.subarray(start, end))) throw GIVE_UP; // protobufjs refuses it: let it say so
  return s;
}

/** google.protobuf.Any{type_url (1), value (2)} at buf[start, end), each field at most once. */
function any(buf: Buffer, start: number, end: number): Any {
  const c = new Cursor(buf, start, end);
  let typeUrl: string | undefined;
  let value: Uint8Array | undefined;
  while (c.pos < end) {
    const tag = c.small();
    if (tag === ((1 << 3) | 2) && typeUrl === undefined) {
      const s = c.delimited();
      typeUrl = text(buf, s, c.pos);
    } else if (tag === ((2 << 3) | 2) && value === undefined) {
      const s = c.delimited();
      value = buf.subarray(s, c.pos);
    } else throw GIVE_UP;
  }
  return { typeUrl: typeUrl ?? '', value: value ?? buf.subarray(0, 0) };
}

/** The request shapes links write: version_info (1), type_url (4), response_nonce (5), pushmesh_resources (1000). Null: decode it the general way. */
export function fastDiscoveryRequest(data: Uint8Array): DiscoveryRequest | null {
  if (!Buffer.isBuffer(data)) return null;
  try {
    const c = new Cursor(data, 0, data.length);
    let versionInfo: string | undefined;
    let typeUrl: string | undefined;
    let responseNonce: string | undefined;
    const resources: Any[] = [];
    while (c.pos < data.length) {
      const tag = c.small();
      if (tag === (1000 << 3) + 2) {
        const s = c.delimited();
        resources.push(any(data, s, c.pos));
      } else if (tag === ((1 << 3) | 2) && versionInfo === undefined) {
        const s = c.delimited();
        versionInfo = text(data, s, c.pos);
      } else if (tag === ((4 << 3) | 2) && typeUrl === undefined) {
        const s = c.delimited();
        typeUrl = text(data, s, c.pos);
      } else if (tag === ((5 << 3) | 2) && responseNonce === undefined) {
        const s = c.delimited();
        responseNonce = text(data, s, c.pos);
      } else return null;
    }
    return {
      versionInfo: versionInfo ?? '',
      node: undefined,
      resourceNames: [],
      typeUrl: typeUrl ?? '',
      responseNonce: responseNonce ?? '',
      errorDetail: undefined,
      pushmeshResources: resources,
    };
  } catch (err) {
    if (err === GIVE_UP) return null;
    throw err;
  }
}

/**
 * The response shapes links write: version_info (1), resources (2),
 * type_url (4), nonce (5), control_plane (6){identifier (1)},
 * pushmesh_answers (1000) whose answers hold no statuses. Null: decode
 * it the general way.
 */
export function fastDiscoveryResponse(data: Uint8Array): DiscoveryResponse | null {
  if (!Buffer.isBuffer(data)) return null;
  try {
    const c = new Cursor(data, 0, data.length);
    let versionInfo: string | undefined;
    let typeUrl: string | undefined;
    let nonce: string | undefined;
    let identifier: string | undefined;
    let seenControlPlane = false;
    const resources: Any[] = [];
    const answers: RequestAnswer[] = [];
    while (c.pos < data.length) {
      const tag = c.small();
      if (tag === ((2 << 3) | 2)) {
        const s = c.delimited();
        resources.push(any(data, s, c.pos));
      } else if (tag === (1000 << 3) + 2) {
        const s = c.delimited();
        answers.push(answer(data, s, c.pos));
      } else if (tag === ((1 << 3) | 2) && versionInfo === undefined) {
        const s = c.delimited();
        versionInfo = text(data, s, c.pos);
      } else if (tag === ((4 << 3) | 2) && typeUrl === undefined) {
        const s = c.delimited();
        typeUrl = text(data, s, c.pos);
      } else if (tag === ((5 << 3) | 2) && nonce === undefined) {
        const s = c.delimited();
        nonce = text(data, s, c.pos);
      } else if (tag === ((6 << 3) | 2) && !seenControlPlane) {
        seenControlPlane = true;
        const s = c.delimited();
        identifier = controlPlane(data, s, c.pos);
      } else return null;
    }
    const res: DiscoveryResponse = {
      versionInfo: versionInfo ?? '',
      resources,
      canary: false,
      typeUrl: typeUrl ?? '',
      nonce: nonce ?? '',
      controlPlane: seenControlPlane ? { identifier: identifier ?? '' } : undefined,
    };
    if (answers.length > 0) res.pushmeshAnswers = answers;
    return res;
  } catch (err) {
    if (err === GIVE_UP) return null;
    throw err;
  }
}

function controlPlane(buf: Buffer, start: number, end: number): string | undefined {
  const c = new Cursor(buf, start, end);
  let identifier: string | undefined;
  while (c.pos < end) {
    const tag = c.small();
    if (tag !== ((1 << 3) | 2) || identifier !== undefined) throw GIVE_UP;
    const s = c.delimited();
    identifier = text(buf, s, c.pos);
  }
  return identifier;
}

/** pushmesh.v1.RequestAnswer with its request number only (every message accepted); statuses: give up. */
function answer(buf: Buffer, start: number, end: number): RequestAnswer {
  const c = new Cursor(buf, start, end);
  let request: number | undefined;
  while (c.pos < end) {
    const tag = c.small();
    if (tag !== 1 << 3 || request !== undefined) throw GIVE_UP;
    request = c.number();
  }
  return { request: request ?? 0, statuses: [] };
}

/**
 * The fields of a pushmesh.v1.WebpushMessage in the form protobufjs's
 * decoded instance gives them (defaults for absent fields; `time` as a
 * number; `body` and `sender_mac` as views into `data`), for
 * webpush-message.ts to map and check as it does protobufjs's. Gives up
 * (null) on a field twice, an unknown field, a wire type or varint out of
 * the ordinary, a length past the end, or text that is not UTF-8.
 */
export function fastWebpushFields(data: Uint8Array): Record<string, unknown> | null {
  if (!Buffer.isBuffer(data)) return null;
  try {
    const c = new Cursor(data, 0, data.length);
    const empty = data.subarray(0, 0);
    const f: Record<string, unknown> = {
      id: '',
      from: '',
      to: '',
      ttl: 0,
      urgency: 0,
      replace: '',
      time: 0,
      path: [] as string[],
      via: [] as string[],
      hopLimit: 0,
      receipt: false,
      authorization: '',
      body: empty,
      senderMac: empty,
    };
    let seen = 0; // bit per singular field number
    while (c.pos < data.length) {
      const tag = c.small();
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (field === 8 || field === 9) {
        if (wireType !== 2) return null;
        const s = c.delimited();
        (f[field === 8 ? 'path' : 'via'] as string[]).push(text(data, s, c.pos));
        continue;
      }
      const name = WEBPUSH_FIELDS[field];
      if (name === undefined || (seen & (1 << field)) !== 0) return null;
      seen |= 1 << field;
      if (WEBPUSH_VARINTS.has(field)) {
        if (wireType !== 0) return null;
        const n = field === 7 ? c.number() : c.small();
        f[name] = field === 11 ? n !== 0 : n;
      } else {
        if (wireType !== 2) return null;
        const s = c.delimited();
        f[name] = field === 13 || field === 14 ? data.subarray(s, c.pos) : text(data, s, c.pos);
      }
    }
    return f;
  } catch (err) {
    if (err === GIVE_UP) return null;
    throw err;
  }
}

/** WebpushMessage field numbers → protobufjs's (camelCase) names; 8 and 9 (repeated) are read apart. */
const WEBPUSH_FIELDS: readonly (string | undefined)[] = [
  undefined,
  'id',
  'from',
  'to',
  'ttl',
  'urgency',
  'replace',
  'time',
  undefined,
  undefined,
  'hopLimit',
  'receipt',
  'authorization',
  'body',
  'senderMac',
];
/** ttl, urgency, time, hop_limit, receipt. */
const WEBPUSH_VARINTS: ReadonlySet<number> = new Set([4, 5, 7, 10, 11]);
