import { randomBytes } from 'node:crypto';
import { DecryptError, PushmeshError } from '../errors/index.js';
import {
  checkHeaderParams,
  HEADER_BASE_LENGTH,
  parseAes128gcmHeader,
  TAG_LENGTH,
  writeAes128gcmHeader,
} from './aes128gcm-header.js';
import { deriveContentKeys, recordNonce } from './aes128gcm-keys.js';
import { openRecord, sealRecord } from './aes128gcm-record.js';

export interface EncryptAes128gcmOptions {
  /** Input keying material (RFC 8188 §2.2). */
  ikm: Uint8Array;
  /** 16-byte salt; random when absent. Never reuse one with the same IKM. */
  salt?: Uint8Array;
  /** Record size, 18 … 2^32-1; default 4096. */
  rs?: number;
  /** Key identifier put in the header, ≤ 255 bytes; default empty. */
  keyid?: Uint8Array;
  /**
   * Zero bytes of padding to add in total (default 0). They go into the
   * earliest records first, each record keeping room for one byte of data,
   * as the reference implementation does (this reproduces RFC 8188 §3.2).
   */
  padding?: number;
}

export interface DecryptAes128gcmOptions {
  /** The IKM, or a lookup from the header's keyid to the IKM. */
  ikm: Uint8Array | ((keyid: Buffer) => Uint8Array);
  /** Refuse bodies with more records than this (checked before any crypto). Default: no limit. */
  maxRecords?: number;
}

/**
 * Encrypts `plaintext` with the `aes128gcm` content coding (RFC 8188):
 * header ‖ records. The plaintext is split into records of `rs` bytes of
 * ciphertext when it does not fit in one; every record but the last ends
 * with delimiter 0x01, the last with 0x02.
 */
export function encryptAes128gcm(plaintext: Uint8Array, opts: EncryptAes128gcmOptions): Buffer {
  const salt = opts.salt ?? randomBytes(16);
  const rs = opts.rs ?? 4096;
  const keyid = opts.keyid ?? new Uint8Array(0);
  const padding = opts.padding ?? 0;
  checkHeaderParams(salt, rs, keyid);
  if (!Number.isSafeInteger(padding) || padding < 0) {
    throw new PushmeshError('ERR_BAD_ARGUMENT', 'padding must be a non-negative integer');
  }
  const plan = planRecords(plaintext.length, padding, rs - TAG_LENGTH - 1);
  let size = HEADER_BASE_LENGTH + keyid.length;
  for (let i = 0; i < plan.length; i += 2) size += plan[i]! + plan[i + 1]! + 1 + TAG_LENGTH;

  const out = Buffer.allocUnsafe(size);
  let at = writeAes128gcmHeader(out, salt, rs, keyid);
  const { cek, nonce } = deriveContentKeys(opts.ikm, salt);
  let pos = 0;
  const records = plan.length / 2;
  for (let seq = 0; seq < records; seq++) {
    const data = plan[2 * seq]!;
    const pad = plan[2 * seq + 1]!;
    at = sealRecord(out, at, cek, recordNonce(nonce, seq), plaintext.subarray(pos, pos + data), seq === records - 1, pad);
    pos += data;
  }
  return out;
}

/**
 * Lays out records as [data, padding] pairs. `cap` is the content room of a
 * record (rs - 17). Records before the last are always full.
 */
function planRecords(length: number, padding: number, cap: number): number[] {
  if (padding === 0 && length <= cap) return [length, 0];
  const plan: number[] = [];
  let pos = 0;
  let pad = padding;
  for (;;) {
    let recPad = Math.min(pad, cap - 1);
    if (pad > 0 && recPad === 0) recPad = 1;
    const data = Math.min(length - pos, cap - recPad);
    let last = pos + data >= length && pad - recPad <= 0;
    if (!last && data + recPad < cap) {
      recPad = Math.min(pad, cap - data);
      last = pad - recPad <= 0;
    }
    plan.push(data, recPad);
    pos += data;
    pad -= recPad;
    if (last) return plan;
  }
}

/**
 * Decrypts an `aes128gcm` body (RFC 8188): checks the header (rs ≥ 18),
 * every record's tag, the delimiters (0x01 before the last record, 0x02 on
 * it) and padding, so truncation at a record boundary is detected. Every
 * failure is a DecryptError; its `detail` says why.
 */
export function decryptAes128gcm(body: Uint8Array, opts: DecryptAes128gcmOptions): Buffer {
  const header = parseAes128gcmHeader(body);
  const content = Buffer.from(body.buffer, body.byteOffset + header.length, body.byteLength - header.length);
  if (content.length === 0) throw new DecryptError('no records');
  const count = Math.ceil(content.length / header.rs);
  if (count > (opts.maxRecords ?? Number.MAX_SAFE_INTEGER)) throw new DecryptError('too many records');
  const ikm = typeof opts.ikm === 'function' ? lookupIkm(opts.ikm, header.keyid) : opts.ikm;
  const { cek, nonce } = deriveContentKeys(ikm, header.salt);
  if (count === 1) return openRecord(content, cek, nonce, true);

  const parts: Buffer[] = [];
  let total = 0;
  for (let seq = 0; seq < count; seq++) {
    const start = seq * header.rs;
    const record = content.subarray(start, Math.min(start + header.rs, content.length));
    const part = openRecord(record, cek, recordNonce(nonce, seq), seq === count - 1);
    parts.push(part);
    total += part.length;
  }
  return Buffer.concat(parts, total);
}

function lookupIkm(lookup: (keyid: Buffer) => Uint8Array, keyid: Buffer): Uint8Array {
  let ikm: unknown;
  try {
    ikm = lookup(keyid);
  } catch (cause) {
    if (cause instanceof DecryptError) throw cause;
    throw new DecryptError('key lookup failed', { cause });
  }
  if (!(ikm instanceof Uint8Array)) throw new DecryptError('no key for keyid');
  return ikm;
}
