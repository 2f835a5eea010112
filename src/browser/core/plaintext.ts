/**
 * The encrypted plaintext, as src/message/plaintext.ts: UTF-8 JSON
 * {"id","topic","time","meta","receipt"?,"encoding"?,"data"}, the same
 * bytes for the same content, read by the same rules.
 */
import { fromBase64, fromUtf8, toBase64, utf8 } from './bytes.js';
import { badMessage } from './errors.js';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from '../../message/json-depth.js';
import { isMessageId, isUnixMillis } from '../../message/limits.js';
import type { DecodedPlaintext, PlaintextContent, PlaintextFallback } from '../../message/plaintext-types.js';
import type { Payload } from './message.js';

// The depth bound and its check are src/message/json-depth.ts itself (shared, pure).
export { MAX_JSON_DEPTH, jsonDepthExceeds } from '../../message/json-depth.js';

// The shapes are the node's src/message/plaintext-types.ts (shared, types only).
export type { DecodedPlaintext, PlaintextContent, PlaintextFallback } from '../../message/plaintext-types.js';

/** Serializes the plaintext; ERR_BAD_MESSAGE for a JSON payload with no JSON form. */
export function encodePlaintext(content: PlaintextContent): Uint8Array {
  const { id, topic, time, meta, data } = content;
  if (data.kind === 'json' && jsonDepthExceeds(data.value)) throw badMessage(`JSON payload nests deeper than ${MAX_JSON_DEPTH} levels`);
  const extra = content.receipt ? { receipt: true } : {};
  let text: string | undefined;
  try {
    switch (data.kind) {
      case 'json':
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
  return utf8(text);
}

/** Reads a decrypted body; never throws (see the node's decodePlaintext). */
export function decodePlaintext(bytes: Uint8Array, fallback: PlaintextFallback, opts: { foreignOnly?: boolean } = {}): DecodedPlaintext {
  const text = fromUtf8(bytes);
  if (text === undefined) return { ...fallback, meta: {}, data: { kind: 'bytes', value: bytes.slice() }, foreign: true };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ...fallback, meta: {}, data: { kind: 'text', value: text }, foreign: true };
  }
  const ours = opts.foreignOnly ? undefined : readOurShape(value);
  if (ours && !(ours.data.kind === 'json' && jsonDepthExceeds(ours.data.value))) return { ...ours, foreign: false };
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
  const metaCopy = Object.fromEntries(Object.entries((meta ?? {}) as Record<string, string>));
  const content: PlaintextContent = { id, topic, time, meta: metaCopy, data: payload };
  if (receipt === true) content.receipt = true;
  return content;
}
