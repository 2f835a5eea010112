import type { LocalEvent } from '../bus/types.js';
import type { Payload } from '../message/types.js';

/**
 * A received message as apps see it (SSE `data:`, WebSocket frames):
 * `{"id","from","to","topic","time","meta","data"}`; `data` is the JSON
 * value, a string for other UTF-8 text, or base64 with
 * `"encoding":"base64"` for bytes.
 */
export interface AppMessageJson {
  seq: number;
  id: string;
  from: string;
  to: string;
  topic: string;
  time: number;
  ttl: number;
  urgency: string;
  meta: Record<string, string>;
  data: unknown;
  encoding?: 'base64';
  /** Relays the message came through (only when it came through any). */
  path?: string[];
  /** A plain Web Push sender's VAPID key (base64url): nothing proved who wrote it; `from` is "" then. */
  unverifiedSender?: string;
}

export function toAppJson(ev: LocalEvent): AppMessageJson {
  const m = ev.message;
  const out: AppMessageJson = {
    seq: ev.seq,
    id: m.id,
    from: m.from,
    to: m.to,
    topic: m.topic,
    time: m.time,
    ttl: m.ttl,
    urgency: m.urgency,
    meta: m.meta,
    data: null,
  };
  Object.assign(out, payloadJson(m.data));
  if (m.path) out.path = m.path;
  if (m.unverifiedSender !== undefined) out.unverifiedSender = m.unverifiedSender;
  return out;
}

export function payloadJson(p: Payload): { data: unknown; encoding?: 'base64' } {
  switch (p.kind) {
    case 'json':
      return { data: p.value };
    case 'text':
      return { data: p.value };
    case 'bytes':
      return { data: Buffer.from(p.value).toString('base64'), encoding: 'base64' };
  }
}

/**
 * `toAppJson` as JSON text, for SSE `data:` lines and WebSocket frames,
 * with `extra` fields first. Never throws: a message whose data cannot be
 * serialized (it cannot arrive through pushmesh's own parsers, which bound
 * JSON depth) goes out with `"data":null` and an `error`, instead of
 * breaking the stream of every app that subscribed. `extra` names no
 * field of the message (it would appear twice).
 */
export function appJsonText(ev: LocalEvent, extra?: Record<string, unknown>): string {
  const text = eventText(ev);
  if (extra === undefined) return text;
  // `text` is a JSON object with at least "seq": the extra fields go in front of it
  // (the same text as serializing them first, without copying the message object).
  let head = '';
  for (const k in extra) {
    const v = JSON.stringify(extra[k]);
    if (v !== undefined) head += `${JSON.stringify(k)}:${v},`;
  }
  return head === '' ? text : `{${head}${text.slice(1)}`;
}

function eventText(ev: LocalEvent): string {
  const json = toAppJson(ev);
  try {
    return JSON.stringify(json);
  } catch {
    const { encoding: _encoding, ...rest } = json;
    return JSON.stringify({ ...rest, data: null, error: { code: 'ERR_BAD_MESSAGE', message: 'payload could not be serialized as JSON' } });
  }
}
