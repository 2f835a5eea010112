import type { CloudEventV1 } from 'cloudevents';
import { STRUCTURED_CONTENT_TYPE, toBinary, toStructured } from '../../src/cloudevents/index.js';
import type { ContentMode } from '../../src/config/backends.js';

/**
 * An event as an HTTP request (CloudEvents HTTP binding). Binary mode:
 * `ce-*` headers (percent-encoded), `datacontenttype` as Content-Type,
 * the data as the body. Structured mode: the JSON event format with
 * Content-Type application/cloudevents+json.
 */
export function encodeHttpEvent(event: CloudEventV1<unknown>, mode: ContentMode): { headers: Record<string, string>; body: Uint8Array } {
  if (mode === 'structured') return { headers: { 'content-type': STRUCTURED_CONTENT_TYPE }, body: toStructured(event) };
  const bin = toBinary(event, { percentEncode: true, contentTypeHeader: true, ceContentType: false });
  return { headers: Object.fromEntries(bin.headers), body: bin.data };
}

/** Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, as ms from now; undefined if absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d{1,9}$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
