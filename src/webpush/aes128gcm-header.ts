import { DecryptError, PushmeshError } from '../errors/index.js';

/** RFC 8188 §2.1 sizes. */
export const SALT_LENGTH = 16;
export const TAG_LENGTH = 16;
/** salt (16) ‖ rs (4) ‖ idlen (1); the keyid follows. */
export const HEADER_BASE_LENGTH = 21;
/** Smallest valid record size: one octet of content, the delimiter, the tag. */
export const MIN_RECORD_SIZE = 18;
export const MAX_RECORD_SIZE = 0xffff_ffff;
export const MAX_KEYID_LENGTH = 255;

/** The `aes128gcm` content-coding header (RFC 8188 §2.1). */
export interface Aes128gcmHeader {
  /** 16 bytes (a view into the body). */
  salt: Buffer;
  /** Record size: ciphertext bytes per record, tag included. */
  rs: number;
  /** Key identifier (a view into the body); for Web Push, the sender's 65-byte public key. */
  keyid: Buffer;
  /** Header length in bytes: where the first record starts. */
  length: number;
}

/**
 * Parses the header at the start of an `aes128gcm` body. Refuses a body too
 * short for its header and a record size below 18. Returned buffers are
 * views into `body` (no copy).
 */
export function parseAes128gcmHeader(body: Uint8Array): Aes128gcmHeader {
  if (body.length < HEADER_BASE_LENGTH) throw new DecryptError('header truncated');
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const rs = buf.readUInt32BE(SALT_LENGTH);
  if (rs < MIN_RECORD_SIZE) throw new DecryptError('record size below 18');
  const idlen = buf[20]!;
  const length = HEADER_BASE_LENGTH + idlen;
  if (buf.length < length) throw new DecryptError('keyid truncated');
  return {
    salt: buf.subarray(0, SALT_LENGTH),
    rs,
    keyid: buf.subarray(HEADER_BASE_LENGTH, length),
    length,
  };
}

/** Writes the header into `out` at offset 0; returns its length. */
export function writeAes128gcmHeader(out: Buffer, salt: Uint8Array, rs: number, keyid: Uint8Array): number {
  out.set(salt, 0);
  out.writeUInt32BE(rs, SALT_LENGTH);
  out[20] = keyid.length;
  out.set(keyid, HEADER_BASE_LENGTH);
  return HEADER_BASE_LENGTH + keyid.length;
}

/** Checks encoder parameters; a programming error, so not a DecryptError. */
export function checkHeaderParams(salt: Uint8Array, rs: number, keyid: Uint8Array): void {
  if (salt.length !== SALT_LENGTH) throw new PushmeshError('ERR_BAD_ARGUMENT', 'salt must be 16 bytes');
  if (!Number.isInteger(rs) || rs < MIN_RECORD_SIZE || rs > MAX_RECORD_SIZE) {
    throw new PushmeshError('ERR_BAD_ARGUMENT', `record size must be an integer in [${MIN_RECORD_SIZE}, 2^32-1]`);
  }
  if (keyid.length > MAX_KEYID_LENGTH) throw new PushmeshError('ERR_BAD_ARGUMENT', 'keyid longer than 255 bytes');
}
