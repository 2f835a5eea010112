import { createCipheriv, createDecipheriv } from 'node:crypto';
import { DecryptError } from '../errors/index.js';
import { TAG_LENGTH } from './aes128gcm-header.js';

/** Padding delimiters (RFC 8188 §2): 0x01 ends a record, 0x02 ends the last one. */
export const DELIMITER_RECORD = 0x01;
export const DELIMITER_LAST = 0x02;
const TRAILER_RECORD = Buffer.of(DELIMITER_RECORD);
const TRAILER_LAST = Buffer.of(DELIMITER_LAST);

/**
 * Encrypts one record, `data ‖ delimiter ‖ 0x00 × padding`, with AES-128-GCM
 * and writes ciphertext ‖ tag into `out` at `offset`. Returns the new offset.
 */
export function sealRecord(
  out: Buffer,
  offset: number,
  cek: Uint8Array,
  nonce: Uint8Array,
  data: Uint8Array,
  last: boolean,
  padding: number,
): number {
  const cipher = createCipheriv('aes-128-gcm', cek, nonce, { authTagLength: TAG_LENGTH });
  let at = offset;
  if (data.length > 0) {
    const head = cipher.update(data);
    out.set(head, at);
    at += head.length;
  }
  let trailer = last ? TRAILER_LAST : TRAILER_RECORD;
  if (padding > 0) {
    trailer = Buffer.alloc(1 + padding);
    trailer[0] = last ? DELIMITER_LAST : DELIMITER_RECORD;
  }
  const tail = cipher.update(trailer);
  out.set(tail, at);
  at += tail.length;
  const rest = cipher.final();
  if (rest.length > 0) {
    out.set(rest, at);
    at += rest.length;
  }
  out.set(cipher.getAuthTag(), at);
  return at + TAG_LENGTH;
}

/**
 * Decrypts and authenticates one record (ciphertext ‖ tag) and strips its
 * padding. Checks the delimiter: 0x02 when `last`, 0x01 otherwise. Nothing
 * is returned unless the tag verified.
 */
export function openRecord(record: Uint8Array, cek: Uint8Array, nonce: Uint8Array, last: boolean): Buffer {
  if (record.length <= TAG_LENGTH) throw new DecryptError('record truncated');
  const split = record.length - TAG_LENGTH;
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-128-gcm', cek, nonce, { authTagLength: TAG_LENGTH });
    decipher.setAuthTag(record.subarray(split));
    plain = decipher.update(record.subarray(0, split));
    decipher.final();
  } catch (cause) {
    throw new DecryptError('authentication failed', { cause });
  }
  let i = plain.length - 1;
  while (i >= 0 && plain[i] === 0) i--;
  if (i < 0) throw new DecryptError('record has no padding delimiter');
  const delimiter = plain[i];
  if (delimiter !== (last ? DELIMITER_LAST : DELIMITER_RECORD)) {
    throw new DecryptError(last ? 'last record delimiter is not 0x02' : 'record delimiter is not 0x01');
  }
  return plain.subarray(0, i);
}
