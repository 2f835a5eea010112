/** base64url without padding (RFC 4648 §5), as Web Push and JOSE use it. */
export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes unpadded base64url only in its canonical form: the text must be
 * exactly what encoding the bytes gives back. Buffer alone would skip
 * characters outside the alphabet and accept other spellings (unused low
 * bits of the last character set), so two different strings could carry
 * the same bytes. Undefined when not canonical (padding included).
 */
export function decodeCanonicalBase64Url(text: string): Buffer | undefined {
  if (!B64URL.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/**
 * decodeCanonicalBase64Url for keys and tokens from senders: also accepts
 * (and ignores) trailing '=' padding, which some senders add. TypeError
 * when the rest is not canonical base64url.
 */
export function fromBase64Url(text: string): Buffer {
  const bytes = decodeCanonicalBase64Url(text.replace(/=+$/, ''));
  if (bytes === undefined) throw new TypeError('not valid base64url');
  return bytes;
}
