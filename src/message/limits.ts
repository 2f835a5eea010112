/**
 * Bounds every node enforces on messages, from outside or from apps.
 * docs/wire-format.md lists the same numbers for other implementations.
 */

/** RFC 8291 / RFC 8030: at most 4096 bytes of aes128gcm body. */
export const MAX_BODY_BYTES = 4096;

/**
 * Smallest possible aes128gcm body: 86-byte header (16 salt + 4 rs + 1
 * idlen + 65 key id), then one record of at least the 0x02 padding
 * delimiter and the 16-byte tag.
 */
export const MIN_BODY_BYTES = 86 + 1 + 16;

/** Longest `path`, longest `via`, largest `hop_limit`. */
export const MAX_HOPS = 32;

/** `hop_limit` a new message starts with. */
export const DEFAULT_HOP_LIMIT = 8;

/** Largest TTL accepted: 28 days (what large push services keep at most). */
export const MAX_TTL_SECONDS = 28 * 24 * 3600;

/** TTL when the app gives none (DESIGN: local API default). */
export const DEFAULT_TTL_SECONDS = 86_400;

/** Longest `authorization` value (a VAPID JWT plus key is about 400 characters). */
export const MAX_AUTHORIZATION_LENGTH = 4096;

const MESSAGE_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const REPLACE_KEY_RE = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Message IDs are 1–64 characters of the base64url alphabet: safe in URLs,
 * `Location` headers and SSE `id:` lines without escaping.
 */
export function isMessageId(text: string): boolean {
  return MESSAGE_ID_RE.test(text);
}

/** RFC 8030 §5.4: a Topic is at most 32 characters of the base64url alphabet. */
export function isReplaceKey(text: string): boolean {
  return REPLACE_KEY_RE.test(text);
}

/** Unix milliseconds that JavaScript numbers hold exactly (0 to 2^53 − 1). */
export function isUnixMillis(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}
