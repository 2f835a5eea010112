import { randomBytes } from 'node:crypto';

/**
 * A new message ID: 16 random bytes as base64url (22 characters).
 *
 * Why not UUIDv7: 128 random bits (vs 74) make collisions across a whole
 * mesh negligible, so IDs can key duplicate suppression on their own; they
 * need no clock (nodes' clocks differ, and `time` already carries the
 * creation time); they reveal nothing to relays, which see IDs in the
 * clear; and they are short and safe in URLs, headers and SSE `id:` lines.
 */
export function newMessageId(random: (size: number) => Uint8Array = randomBytes): string {
  const bytes = random(16);
  return Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('base64url');
}
