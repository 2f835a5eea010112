import { headers as natsHeaders, type Msg, type MsgHdrs } from '@nats-io/transport-node';
import { STRUCTURED_CONTENT_TYPE, toBinary, toStructured } from '../../src/cloudevents/index.js';
import type { ContentMode } from '../../src/config/backends.js';
import type { OutboundEvent, RawInboundEvent } from '../../src/backends/types.js';

/**
 * An event as a NATS message (CloudEvents NATS binding): structured mode
 * = the JSON event format as payload with `Content-Type:
 * application/cloudevents+json`; binary mode = `ce-*` headers
 * (percent-encoded) and the data as payload.
 */
export function encodeNatsEvent(out: OutboundEvent, mode: ContentMode): { data: Uint8Array; headers: MsgHdrs } {
  const h = natsHeaders();
  if (mode === 'structured') {
    h.set('content-type', STRUCTURED_CONTENT_TYPE);
    return { data: toStructured(out.event), headers: h };
  }
  const bin = toBinary(out.event, { percentEncode: true, contentTypeHeader: false, ceContentType: true });
  for (const [k, v] of bin.headers) h.set(k, v);
  return { data: bin.data, headers: h };
}

/**
 * A NATS message as a raw event: structured when its Content-Type is
 * application/cloudevents…, or when it has no `ce-` headers at all (the
 * binding's 1.0.2 form, payload only); binary otherwise.
 */
export function decodeNatsEvent(msg: Pick<Msg, 'data' | 'headers'>): RawInboundEvent {
  const h = msg.headers;
  if (!h) return { content: 'structured', body: msg.data };
  const entries: Array<[string, string[]]> = h.keys().map((k) => [k, h.values(k)]);
  const contentType = entries.find(([k]) => k.toLowerCase() === 'content-type')?.[1][0];
  const hasCe = entries.some(([k]) => k.toLowerCase().startsWith('ce-'));
  if (!hasCe || (contentType !== undefined && contentType.toLowerCase().startsWith('application/cloudevents'))) {
    return { content: 'structured', body: msg.data };
  }
  return { content: 'binary', headers: entries, percentEncoded: true, data: msg.data };
}
