import { isUtf8 } from 'node:buffer';
import { badMessage } from './bad-message.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from './json-depth.js';
import { isMessageId, isUnixMillis } from './limits.js';
import type { DecodedPlaintext, PlaintextContent, PlaintextFallback } from './plaintext-types.js';
import type { Payload } from './types.js';

// The plaintext's shapes live in the pure plaintext-types.ts (shared with src/browser/).
export type { DecodedPlaintext, PlaintextContent, PlaintextFallback } from './plaintext-types.js';

/** Serializes the plaintext to UTF-8 JSON; throws ERR_BAD_MESSAGE for a JSON payload that has no JSON form. */
export function encodePlaintext(content: PlaintextContent): Buffer {
  const { id, topic, time, meta, data } = content;
  if (data.kind === 'json' && jsonDepthExceeds(data.value)) throw badMessage(`JSON payload nests deeper than ${MAX_JSON_DEPTH} levels`);
  const extra = content.receipt ? { receipt: true } : {};
  let text: string | undefined;
  try {
    switch (data.kind) {
      case 'json':
        // undefined, functions and symbols have no JSON form: JSON.stringify would drop "data".
        if (JSON.stringify(data.value) !== undefined) text = JSON.stringify({ id, topic, time, meta, ...extra, data: data.value });
        break;
      case 'text':
        text = JSON.stringify({ id, topic, time, meta, ...extra, encoding: 'text', data: data.value });
        break;
      case 'bytes':
        text = JSON.stringify({ id, topic, time, meta, ...extra, encoding: 'base64', data: toBase64(data.value) });
        break;
    }
  } catch (err) {
    throw badMessage('JSON payload cannot be serialized', err);
  }
  if (text === undefined) throw badMessage('JSON payload has no JSON form');
  return Buffer.from(text, 'utf8');
}

/**
 * Reads a decrypted body. pushmesh's JSON gives back its fields; anything
 * else (a plain Web Push sender's body) becomes the payload as a whole —
 * a JSON value if it parses as JSON, else text if it is UTF-8, else bytes —
 * with id, topic and time from `fallback`. With `foreignOnly` every body
 * is read that way. Never throws.
 */
export function decodePlaintext(bytes: Uint8Array, fallback: PlaintextFallback, opts: { foreignOnly?: boolean } = {}): DecodedPlaintext {
  // Strict UTF-8 (as a fatal TextDecoder that keeps a BOM: overlong forms, surrogates and truncated sequences are not text), checked natively first.
  if (!isUtf8(bytes)) return { ...fallback, meta: {}, data: { kind: 'bytes', value: Buffer.from(bytes) }, foreign: true };
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ...fallback, meta: {}, data: { kind: 'text', value: text }, foreign: true };
  }
  // A body without a sender proof is never read as pushmesh's JSON: its id, topic and receipt flag would be the sender's word only.
  const ours = opts.foreignOnly ? undefined : readOurShape(value);
  if (ours && !(ours.data.kind === 'json' && jsonDepthExceeds(ours.data.value))) return { ...ours, foreign: false };
  // JSON nested deeper than apps can be given (MAX_JSON_DEPTH) is kept as the text it is.
  if (jsonDepthExceeds(value)) return { ...fallback, meta: {}, data: { kind: 'text', value: text }, foreign: true };
  return { ...fallback, meta: {}, data: { kind: 'json', value }, foreign: true };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readOurShape(value: unknown): PlaintextContent | undefined {
  if (!isRecord(value) || !Object.hasOwn(value, 'data')) return undefined;
  const { id, topic, time, meta, encoding, data, receipt } = value;
  if (receipt !== undefined && typeof receipt !== 'boolean') return undefined;
  if (typeof id !== 'string' || !isMessageId(id)) return undefined;
  if (typeof topic !== 'string') return undefined;
  if (typeof time !== 'number' || !isUnixMillis(time)) return undefined;
  if (meta !== undefined && !(isRecord(meta) && Object.values(meta).every((v) => typeof v === 'string'))) return undefined;
  let payload: Payload;
  if (encoding === undefined) {
    payload = { kind: 'json', value: data };
  } else if (encoding === 'text' && typeof data === 'string') {
    payload = { kind: 'text', value: data };
  } else if (encoding === 'base64' && typeof data === 'string') {
    const decoded = fromBase64(data);
    if (!decoded) return undefined;
    payload = { kind: 'bytes', value: decoded };
  } else {
    return undefined;
  }
  // Object.fromEntries defines keys as own properties, "__proto__" included.
  const metaCopy = Object.fromEntries(Object.entries((meta ?? {}) as Record<string, string>));
  const content: PlaintextContent = { id, topic, time, meta: metaCopy, data: payload };
  if (receipt === true) content.receipt = true;
  return content;
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

const BASE64_RE = /^[A-Za-z0-9+/]*$/;

/** Standard base64 (RFC 4648 §4); padding optional. Undefined when not base64. */
function fromBase64(text: string): Buffer | undefined {
  const body = text.replace(/={1,2}$/, '');
  const padded = body.length !== text.length;
  if (!BASE64_RE.test(body) || body.length % 4 === 1 || (padded && text.length % 4 !== 0)) return undefined;
  return Buffer.from(body, 'base64');
}
