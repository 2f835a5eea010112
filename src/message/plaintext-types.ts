/**
 * The plaintext's shapes, in a pure module (types only) that src/browser/
 * shares (.dependency-cruiser.cjs BROWSER_SHARED); the codec is
 * src/message/plaintext.ts (Buffer) and src/browser/core/plaintext.ts.
 */
import type { Payload } from './types.js';

/**
 * What travels encrypted end to end: the fields of a message that relays
 * must not see. Serialized as UTF-8 JSON (docs/wire-format.md):
 *
 *   {"id","topic","time","meta","encoding"?,"data"}
 *
 * - JSON payload: `data` is the JSON value itself, no `encoding`.
 * - Text payload: `data` is the string, `"encoding":"text"`.
 * - Bytes payload: `data` is standard base64 (padded), `"encoding":"base64"`.
 *
 * A reader that ignores `encoding` sees what the local API's SSE `data`
 * shows: the JSON value, a string, or base64 text.
 */
export interface PlaintextContent {
  id: string;
  topic: string;
  /** Unix milliseconds. */
  time: number;
  meta: Record<string, string>;
  data: Payload;
  /** The sender asks for a delivery receipt once an app of the destination has the message. */
  receipt?: boolean;
}

/** Values a foreign body (a plain Web Push sender's) gets, since it has no such JSON. */
export interface PlaintextFallback {
  id: string;
  topic: string;
  time: number;
}

export interface DecodedPlaintext extends PlaintextContent {
  /** True when the body was not pushmesh's JSON: `data` is the whole payload. */
  foreign: boolean;
}
