/** base64url without padding (RFC 4648 §5), as Web Push and JOSE use it. */
export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Strict decoder: refuses characters outside the base64url alphabet and
 * impossible lengths, instead of silently skipping them like Buffer does.
 * Accepts (and ignores) trailing '=' padding, which some senders add;
 * refuses a last character with non-zero unused bits (non-canonical).
 */
export function fromBase64Url(text: string): Buffer {
  const s = text.replace(/=+$/, '');
  if (!B64URL.test(s) || s.length % 4 === 1) {
    throw new TypeError('not valid base64url');
  }
  const bytes = Buffer.from(s, 'base64url');
  // Unused low bits of the last character must be zero: one spelling per byte string.
  if (bytes.toString('base64url') !== s) throw new TypeError('not canonical base64url');
  return bytes;
}
