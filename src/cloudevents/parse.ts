import { PushmeshError } from '../errors/index.js';
import { decodeHeaderValue } from './header-values.js';
import type { EventData, ParsedEvent } from './types.js';
import { validateAttributes } from './validate.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const bad = (reason: string, cause?: unknown): PushmeshError =>
  new PushmeshError('ERR_BAD_EVENT', reason, cause === undefined ? undefined : { cause });

export interface ParseLimits {
  /** Largest event accepted (the whole structured body, or the data of a binary event), bytes. */
  maxBytes: number;
}

/**
 * Parses an event in the JSON event format (structured content mode):
 * one JSON object; `data` (a JSON value) or `data_base64` (bytes), not
 * both. Batches (arrays) are refused. Throws ERR_BAD_EVENT with the reason.
 */
export function parseStructuredEvent(body: Uint8Array, limits: ParseLimits): ParsedEvent {
  if (body.length > limits.maxBytes) throw bad(`event is ${body.length} bytes, over the limit of ${limits.maxBytes}`);
  let doc: unknown;
  try {
    doc = JSON.parse(utf8.decode(body));
  } catch (err) {
    throw bad(`structured event is not UTF-8 JSON: ${(err as Error).message}`, err);
  }
  if (Array.isArray(doc)) throw bad('batched events (a JSON array) are not supported: send one event per message');
  if (doc === null || typeof doc !== 'object') throw bad('structured event is not a JSON object');
  const attributes: Record<string, unknown> = { ...(doc as Record<string, unknown>) };
  const hasData = Object.hasOwn(attributes, 'data');
  const hasBase64 = Object.hasOwn(attributes, 'data_base64');
  if (hasData && hasBase64) throw bad('structured event has both "data" and "data_base64"');
  let data: EventData = { form: 'none' };
  if (hasBase64) {
    const b64 = attributes['data_base64'];
    if (typeof b64 !== 'string' || !BASE64.test(b64)) throw bad('"data_base64" is not base64');
    data = { form: 'bytes', bytes: Buffer.from(b64, 'base64') };
  } else if (hasData) {
    data = { form: 'json', value: attributes['data'] };
  }
  delete attributes['data'];
  delete attributes['data_base64'];
  return { attributes: validateAttributes(attributes), data };
}

/**
 * Parses an event in binary content mode: `attributes` are the context
 * attributes and extensions already taken from the headers (see
 * binaryAttributes), `data` the message body.
 */
export function parseBinaryEvent(attributes: Record<string, string>, data: Uint8Array, limits: ParseLimits): ParsedEvent {
  if (data.length > limits.maxBytes) throw bad(`event data is ${data.length} bytes, over the limit of ${limits.maxBytes}`);
  // An empty body is "no data" unless a datacontenttype says what it is (empty text, say).
  const none = data.length === 0 && attributes['datacontenttype'] === undefined;
  return { attributes: validateAttributes({ ...attributes }), data: none ? { form: 'none' } : { form: 'bytes', bytes: data } };
}

export interface HeaderReading {
  /** `ce-` values are percent-encoded (HTTP, NATS); Pub/Sub attributes are not. */
  percentEncoded: boolean;
}

/**
 * Collects the attributes of a binary-mode event from headers (HTTP,
 * NATS) or message attributes (Pub/Sub): every `ce-<name>` (names are
 * case-insensitive) is attribute `<name>`; `content-type` is
 * `datacontenttype` unless a `ce-datacontenttype` is present.
 * Throws ERR_BAD_EVENT for a repeated attribute or a reserved name.
 */
export function binaryAttributes(headers: Iterable<readonly [string, string | readonly string[] | undefined]>, reading: HeaderReading): Record<string, string> {
  const attributes: Record<string, string> = Object.create(null) as Record<string, string>;
  let contentType: string | undefined;
  for (const [rawName, rawValue] of headers) {
    if (rawValue === undefined) continue;
    const name = rawName.toLowerCase();
    const isCe = name.startsWith('ce-');
    if (!isCe && name !== 'content-type') continue;
    if (typeof rawValue !== 'string') {
      if (rawValue.length !== 1) throw bad(`header ${name} is given more than once`);
    }
    const value0 = typeof rawValue === 'string' ? rawValue : rawValue[0]!;
    const value = reading.percentEncoded ? decodeHeaderValue(value0, name) : value0;
    if (!isCe) {
      contentType = value;
      continue;
    }
    const attr = name.slice(3);
    if (attr === 'data' || attr === 'data_base64') throw bad(`header ${name}: data cannot travel as an attribute`);
    if (Object.hasOwn(attributes, attr)) throw bad(`header ${name} is given more than once`);
    attributes[attr] = value;
  }
  if (contentType !== undefined && attributes['datacontenttype'] === undefined) attributes['datacontenttype'] = contentType;
  return { ...attributes };
}
