import { base32 } from '@scure/base';
import { CONTEXT_ATTRIBUTES, ESCAPED_META_PREFIX } from './constants.js';

/** CloudEvents attribute names: lower-case ASCII letters and digits only. */
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;
const BASE32_LOWER = /^[a-z2-7]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Longest extension name pushmesh writes (Pub/Sub attribute keys hold 256 bytes, minus `ce-`). */
export const MAX_EXTENSION_NAME = 200;

/**
 * Whether a meta key travels as an extension of the same name: a valid
 * attribute name that is not a context attribute and cannot be mistaken
 * for pushmesh's own extensions or an escaped name.
 */
export function isPlainMetaKey(key: string): boolean {
  return ATTRIBUTE_NAME.test(key) && !CONTEXT_ATTRIBUTES.has(key) && !key.startsWith('pushmesh') && !key.startsWith(ESCAPED_META_PREFIX);
}

/**
 * The extension name of a meta key: the key itself when it is plain,
 * otherwise `pmx` + lower-case unpadded base32 of its UTF-8 bytes (so
 * `Content-Language` becomes `pmxinxw45dfnz2c2tdbnztxkylhmu`). The
 * mapping is one-to-one and reversed by metaKeyOfExtension.
 */
export function extensionNameOf(metaKey: string): string {
  if (isPlainMetaKey(metaKey)) return metaKey;
  return ESCAPED_META_PREFIX + base32.encode(Buffer.from(metaKey, 'utf8')).replace(/=+$/, '').toLowerCase();
}

/**
 * The meta key an extension attribute maps to: an escaped name decodes
 * back to its key; any other name is its own key.
 */
export function metaKeyOfExtension(name: string): string {
  if (!name.startsWith(ESCAPED_META_PREFIX)) return name;
  const rest = name.slice(ESCAPED_META_PREFIX.length);
  if (!BASE32_LOWER.test(rest)) return name;
  try {
    const key = utf8.decode(base32.decode(padBase32(rest.toUpperCase())));
    // Only the canonical escape of a key that needed escaping is read as one.
    return key.length > 0 && !isPlainMetaKey(key) && extensionNameOf(key) === name ? key : name;
  } catch {
    return name;
  }
}

function padBase32(s: string): string {
  return s + '='.repeat((8 - (s.length % 8)) % 8);
}
