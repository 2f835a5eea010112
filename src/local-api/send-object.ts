import { PushmeshError } from '../errors/index.js';
import type { Payload } from '../message/types.js';
import type { SendRequest } from '../core/index.js';
import { parseSendParams } from './send-params.js';

const bad = (message: string): PushmeshError => new PushmeshError('ERR_BAD_ARGUMENT', message);

/**
 * One message to send, as a JSON object: a WebSocket `send` frame or an
 * item of `POST /msgs` (docs/local-api.md). Fields: `topic`, `data`,
 * optional `encoding: "base64"`, `to`, `ttl`, `urgency`, `replace`,
 * `via`, `receipt`, `meta`; the same checks as `POST /msg/<topic>`.
 */
export function parseSendObject(obj: Record<string, unknown>, opts: { maxTtl: number }): SendRequest {
  if (typeof obj['topic'] !== 'string') throw bad('"topic" must be a string');
  const q: Record<string, unknown> = {};
  for (const k of ['to', 'ttl', 'urgency', 'replace', 'via', 'receipt']) if (obj[k] !== undefined && obj[k] !== null) q[k] = String(obj[k]);
  const req = parseSendParams(obj['topic'], q, objectPayload(obj), opts);
  const meta = obj['meta'];
  if (meta !== undefined) {
    if (!meta || typeof meta !== 'object' || Array.isArray(meta) || !Object.values(meta).every((v) => typeof v === 'string')) {
      throw bad('"meta" must map strings to strings');
    }
    req.meta = meta as Record<string, string>;
  }
  return req;
}

function objectPayload(obj: Record<string, unknown>): Payload {
  const data = obj['data'];
  if (obj['encoding'] === 'base64') {
    if (typeof data !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) throw bad('"data" must be base64 with "encoding":"base64"');
    return { kind: 'bytes', value: Buffer.from(data, 'base64') };
  }
  if (data === undefined) throw bad('"data" is required');
  return { kind: 'json', value: data };
}

/** Whether `v` is a plain JSON object (not null, not an array). */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}
