import type { ECDH } from 'node:crypto';

/** Uncompressed P-256 point: 0x04 ‖ X (32) ‖ Y (32). */
export const P256_PUBLIC_KEY_LENGTH = 65;
export const P256_SCALAR_LENGTH = 32;

/** Shape only (length and 0x04 prefix); whether the point is on the curve is up to ECDH or key import. */
export function isUncompressedPoint(bytes: Uint8Array): boolean {
  return bytes.length === P256_PUBLIC_KEY_LENGTH && bytes[0] === 0x04;
}

/**
 * The ECDH shared secret: the X coordinate, left-padded to 32 bytes (node's
 * ECDH already pads to the field size; the check keeps that promise
 * explicit). Throws node's error for a point not on the curve.
 */
export function ecdhSecret(ecdh: ECDH, publicKey: Uint8Array): Buffer {
  const secret = ecdh.computeSecret(publicKey);
  if (secret.length === P256_SCALAR_LENGTH) return secret;
  const padded = Buffer.alloc(P256_SCALAR_LENGTH);
  secret.copy(padded, P256_SCALAR_LENGTH - secret.length);
  return padded;
}
