import type { CloudEventV1 } from 'cloudevents';
import { encodeHeaderValue } from './header-values.js';
import { mediaType } from './to-inbound.js';

/** An event in binary content mode: `ce-` headers (or attributes) and the data bytes. */
export interface BinaryForm {
  headers: Array<[string, string]>;
  data: Uint8Array;
}

export interface BinaryOptions {
  /** Percent-encode values (HTTP, NATS); Pub/Sub attributes carry UTF-8 as is. */
  percentEncode: boolean;
  /** Also write `datacontenttype` as a `content-type` header (HTTP, Pub/Sub). */
  contentTypeHeader: boolean;
  /** Write `datacontenttype` as `ce-datacontenttype` too (NATS, Pub/Sub); HTTP uses only Content-Type. */
  ceContentType: boolean;
}

/**
 * The event in the JSON event format (structured content mode), UTF-8:
 * every attribute, then `data` (a JSON value or string) or, for bytes,
 * `data_base64` (empty bytes included, which the SDK's toJSON would write
 * as `"data": {}`).
 */
export function toStructured(event: CloudEventV1<unknown>): Buffer {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(event)) {
    if (v === undefined || k === 'data' || k === 'data_base64') continue;
    out[k] = v instanceof Date ? v.toISOString() : v;
  }
  const data = event.data;
  if (data instanceof Uint8Array) out['data_base64'] = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
  else if (data !== undefined) out['data'] = data;
  return Buffer.from(JSON.stringify(out), 'utf8');
}

/** The data of an event as the bytes of a binary-mode message. */
export function dataBytes(event: CloudEventV1<unknown>): Uint8Array {
  const data = event.data;
  if (data === undefined) return new Uint8Array(0);
  if (data instanceof Uint8Array) return data;
  const media = mediaType(event.datacontenttype);
  if (typeof data === 'string' && media !== undefined && !(media === 'application/json' || media.endsWith('+json'))) return Buffer.from(data, 'utf8');
  return Buffer.from(JSON.stringify(data), 'utf8');
}

/** The event in binary content mode: every attribute as `ce-<name>`, data as the body. */
export function toBinary(event: CloudEventV1<unknown>, opts: BinaryOptions): BinaryForm {
  const headers: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(event)) {
    if (value === undefined || name === 'data' || name === 'data_base64') continue;
    const text = value instanceof Date ? value.toISOString() : String(value);
    const encoded = opts.percentEncode ? encodeHeaderValue(text) : text;
    if (name === 'datacontenttype') {
      if (opts.contentTypeHeader) headers.push(['content-type', encoded]);
      if (!opts.ceContentType) continue;
    }
    headers.push([`ce-${name}`, encoded]);
  }
  return { headers, data: dataBytes(event) };
}
