import { randomBytes } from 'node:crypto';
import { PushmeshError } from '../errors/index.js';
import { fromBase64Url } from '../util/base64url.js';

/** Length of the Web Push auth secret (RFC 8291 §3.2). */
export const AUTH_SECRET_LENGTH = 16;

export function generateAuthSecret(): Buffer {
  return randomBytes(AUTH_SECRET_LENGTH);
}

/**
 * Decode a base64url auth secret (surrounding whitespace ignored) and check
 * it is exactly 16 bytes. Throws ERR_BAD_ARGUMENT naming `source`.
 */
export function parseAuthSecret(text: string, source = 'auth secret'): Buffer {
  let bytes: Buffer;
  try {
    bytes = fromBase64Url(text.trim());
  } catch (err) {
    throw new PushmeshError('ERR_BAD_ARGUMENT', `${source}: not valid base64url`, { cause: err });
  }
  if (bytes.length !== AUTH_SECRET_LENGTH) {
    throw new PushmeshError('ERR_BAD_ARGUMENT', `${source}: must decode to ${AUTH_SECRET_LENGTH} bytes (got ${bytes.length})`);
  }
  return bytes;
}
