const B64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes base64url (no padding) only in its canonical form: the text
 * must be exactly what encoding the bytes gives back. Buffer alone would
 * accept other spellings (unused low bits set, stray characters), so two
 * different strings could carry the same bytes. Undefined when not
 * canonical.
 */
export function decodeCanonicalBase64Url(text: string): Buffer | undefined {
  if (!B64URL.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}
