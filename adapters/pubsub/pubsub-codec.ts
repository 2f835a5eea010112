import { STRUCTURED_CONTENT_TYPE, toBinary, toStructured } from '../../src/cloudevents/index.js';
import type { ContentMode } from '../../src/config/backends.js';
import type { OutboundEvent, RawInboundEvent } from '../../src/backends/types.js';

/**
 * An event as a Pub/Sub message (CloudEvents Pub/Sub binding). Binary
 * mode: every attribute as a `ce-<name>` message attribute (UTF-8, not
 * percent-encoded), `datacontenttype` also as `content-type`, the data as
 * the message data. Structured mode: the JSON event format as data and
 * `content-type: application/cloudevents+json; charset=utf-8`.
 */
export function encodePubSubEvent(out: OutboundEvent, mode: ContentMode): { data: Buffer; attributes: Record<string, string> } {
  if (mode === 'structured') return { data: toStructured(out.event), attributes: { 'content-type': STRUCTURED_CONTENT_TYPE } };
  const bin = toBinary(out.event, { percentEncode: false, contentTypeHeader: true, ceContentType: true });
  return { data: Buffer.from(bin.data.buffer, bin.data.byteOffset, bin.data.byteLength), attributes: Object.fromEntries(bin.headers) };
}

/**
 * A Pub/Sub message as a raw event: structured when its `content-type`
 * attribute starts with application/cloudevents, binary otherwise.
 */
export function decodePubSubEvent(data: Uint8Array, attributes: Record<string, string>): RawInboundEvent {
  const contentType = Object.entries(attributes).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
  if (contentType !== undefined && contentType.toLowerCase().startsWith('application/cloudevents')) return { content: 'structured', body: data };
  return { content: 'binary', headers: Object.entries(attributes), percentEncoded: false, data };
}
