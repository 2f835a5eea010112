import { badMessage } from '../message/bad-message.js';
import type { Message, Payload } from '../message/types.js';
import { validateMessage } from '../message/validate.js';
import { bytes, decodeMapped, encodeRaw, int, int64, str, sub } from './raw.js';
import { urgencyFromProto, urgencyToProto } from './urgency.js';

const TYPE = 'pushmesh.v1.Message';

/** pushmesh.v1.ContentKind numbers. */
const CONTENT_KIND = { unspecified: 0, json: 1, text: 2, bytes: 3 } as const;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function payloadToRaw(data: Payload): { data: Uint8Array; contentKind: number } {
  switch (data.kind) {
    case 'json': {
      const text = JSON.stringify(data.value);
      if (text === undefined) throw badMessage('JSON payload is not serializable');
      return { data: Buffer.from(text, 'utf8'), contentKind: CONTENT_KIND.json };
    }
    case 'text':
      return { data: Buffer.from(data.value, 'utf8'), contentKind: CONTENT_KIND.text };
    case 'bytes':
      return { data: data.value, contentKind: CONTENT_KIND.bytes };
  }
}

function payloadFromRaw(data: Buffer, contentKind: number): Payload {
  switch (contentKind) {
    case CONTENT_KIND.json:
      try {
        return { kind: 'json', value: JSON.parse(utf8.decode(data)) as unknown };
      } catch (err) {
        throw badMessage('data is not UTF-8 JSON', err);
      }
    case CONTENT_KIND.text:
      try {
        return { kind: 'text', value: utf8.decode(data) };
      } catch (err) {
        throw badMessage('data is not UTF-8 text', err);
      }
    case CONTENT_KIND.unspecified:
    case CONTENT_KIND.bytes:
      return { kind: 'bytes', value: data };
    default:
      throw badMessage(`content_kind ${contentKind} is not a pushmesh.v1.ContentKind value`);
  }
}

/** Serializes a plaintext Message (local use and adapters only; never between nodes). */
export function encodeMessage(msg: Message): Buffer {
  validateMessage(msg);
  return encodeRaw(TYPE, {
    id: msg.id,
    from: msg.from,
    to: msg.to,
    topic: msg.topic,
    time: msg.time,
    ttl: msg.ttl,
    urgency: urgencyToProto(msg.urgency),
    replace: msg.replace ?? '',
    meta: msg.meta,
    ...payloadToRaw(msg.data),
  });
}

/** Parses and validates a plaintext Message; throws ERR_BAD_MESSAGE only. */
export function decodeMessage(data: Uint8Array): Message {
  return decodeMapped(TYPE, data, (raw) => {
    const meta: Record<string, string> = Object.fromEntries(
      Object.entries(sub(raw.meta, 'meta') ?? {}).map(([k, v]) => [k, str(v, 'meta')]),
    );
    const replace = str(raw.replace, 'replace');
    const msg: Message = {
      id: str(raw.id, 'id'),
      from: str(raw.from, 'from'),
      to: str(raw.to, 'to'),
      topic: str(raw.topic, 'topic'),
      time: int64(raw.time, 'time'),
      ttl: int(raw.ttl, 'ttl'),
      urgency: urgencyFromProto(raw.urgency),
      ...(replace === '' ? {} : { replace }),
      meta,
      data: payloadFromRaw(bytes(raw.data, 'data'), int(raw.contentKind, 'content_kind')),
    };
    validateMessage(msg);
    return msg;
  });
}
