/**
 * RFC 8188 `aes128gcm` content coding with WebCrypto, the same key
 * schedule, record layout and checks as src/webpush/aes128gcm*.ts:
 *
 *   PRK = HKDF-Extract(salt, IKM); CEK = HKDF-Expand(PRK, "Content-Encoding: aes128gcm\0", 16);
 *   NONCE = HKDF-Expand(PRK, "Content-Encoding: nonce\0", 12); record i uses NONCE xor i.
 */
import { concatBytes, utf8 } from './bytes.js';
import { aesGcmKey, aesGcmOpen, aesGcmSeal, hkdf, randomBytes } from './crypto.js';
import { DecryptError, PushmeshError } from './errors.js';
import type { WebCryptoKey } from './webcrypto-types.js';

export const SALT_LENGTH = 16;
export const TAG_LENGTH = 16;
/** salt (16) ‖ rs (4) ‖ idlen (1); the keyid follows. */
export const HEADER_BASE_LENGTH = 21;
export const MIN_RECORD_SIZE = 18;

const CEK_INFO = utf8('Content-Encoding: aes128gcm\0');
const NONCE_INFO = utf8('Content-Encoding: nonce\0');

export interface Aes128gcmHeader {
  salt: Uint8Array;
  rs: number;
  keyid: Uint8Array;
  /** Where the first record starts. */
  length: number;
}

/** Parses the header; a body too short for it, or rs below 18, is a DecryptError. */
export function parseAes128gcmHeader(body: Uint8Array): Aes128gcmHeader {
  if (body.length < HEADER_BASE_LENGTH) throw new DecryptError('header truncated');
  const rs = ((body[16]! << 24) >>> 0) + (body[17]! << 16) + (body[18]! << 8) + body[19]!;
  if (rs < MIN_RECORD_SIZE) throw new DecryptError('record size below 18');
  const length = HEADER_BASE_LENGTH + body[20]!;
  if (body.length < length) throw new DecryptError('keyid truncated');
  return { salt: body.subarray(0, SALT_LENGTH), rs, keyid: body.subarray(HEADER_BASE_LENGTH, length), length };
}

export interface ContentKeys {
  cek: Uint8Array;
  nonce: Uint8Array;
}

export async function deriveContentKeys(ikm: Uint8Array, salt: Uint8Array): Promise<ContentKeys> {
  const [cek, nonce] = await Promise.all([hkdf(salt, ikm, CEK_INFO, 16), hkdf(salt, ikm, NONCE_INFO, 12)]);
  return { cek, nonce };
}

export function recordNonce(base: Uint8Array, seq: number): Uint8Array {
  const nonce = base.slice();
  let rest = seq;
  for (let i = 11; rest > 0 && i >= 0; i--) {
    nonce[i]! ^= rest & 0xff;
    rest = Math.floor(rest / 256);
  }
  return nonce;
}

export interface EncryptAes128gcmOptions {
  ikm: Uint8Array;
  /** 16 bytes; random when absent. */
  salt?: Uint8Array;
  /** Record size, default 4096. */
  rs?: number;
  /** Header key id, ≤ 255 bytes; default empty. */
  keyid?: Uint8Array;
  /** Total zero bytes of padding (default 0), earliest records first, as the node does. */
  padding?: number;
}

export async function encryptAes128gcm(plaintext: Uint8Array, opts: EncryptAes128gcmOptions): Promise<Uint8Array> {
  const salt = opts.salt ?? randomBytes(16);
  const rs = opts.rs ?? 4096;
  const keyid = opts.keyid ?? new Uint8Array(0);
  const padding = opts.padding ?? 0;
  if (salt.length !== SALT_LENGTH) throw new PushmeshError('ERR_BAD_ARGUMENT', 'salt must be 16 bytes');
  if (!Number.isInteger(rs) || rs < MIN_RECORD_SIZE || rs > 0xffff_ffff) throw new PushmeshError('ERR_BAD_ARGUMENT', 'record size must be an integer in [18, 2^32-1]');
  if (keyid.length > 255) throw new PushmeshError('ERR_BAD_ARGUMENT', 'keyid longer than 255 bytes');
  if (!Number.isSafeInteger(padding) || padding < 0) throw new PushmeshError('ERR_BAD_ARGUMENT', 'padding must be a non-negative integer');
  const header = new Uint8Array(HEADER_BASE_LENGTH + keyid.length);
  header.set(salt, 0);
  new DataView(header.buffer).setUint32(16, rs);
  header[20] = keyid.length;
  header.set(keyid, HEADER_BASE_LENGTH);
  const { cek, nonce } = await deriveContentKeys(opts.ikm, salt);
  const key = await aesGcmKey(cek, 'encrypt');
  const plan = planRecords(plaintext.length, padding, rs - TAG_LENGTH - 1);
  const records = plan.length / 2;
  const parts: Uint8Array[] = [header];
  let pos = 0;
  for (let seq = 0; seq < records; seq++) {
    const data = plan[2 * seq]!;
    const pad = plan[2 * seq + 1]!;
    const rec = new Uint8Array(data + 1 + pad);
    rec.set(plaintext.subarray(pos, pos + data), 0);
    rec[data] = seq === records - 1 ? 0x02 : 0x01;
    parts.push(await aesGcmSeal(key, recordNonce(nonce, seq), rec));
    pos += data;
  }
  return concatBytes(...parts);
}

/** The node's record layout (src/webpush/aes128gcm.ts planRecords): [data, padding] pairs. */
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

export interface DecryptAes128gcmOptions {
  ikm: Uint8Array;
  /** Refuse bodies with more records than this (before any crypto). */
  maxRecords?: number;
}

/** Decrypts an aes128gcm body: every tag, the delimiters (0x01, then 0x02 on the last) and the padding. Every failure is a DecryptError. */
export async function decryptAes128gcm(body: Uint8Array, opts: DecryptAes128gcmOptions): Promise<Uint8Array> {
  const header = parseAes128gcmHeader(body);
  const content = body.subarray(header.length);
  if (content.length === 0) throw new DecryptError('no records');
  const count = Math.ceil(content.length / header.rs);
  if (count > (opts.maxRecords ?? Number.MAX_SAFE_INTEGER)) throw new DecryptError('too many records');
  const { cek, nonce } = await deriveContentKeys(opts.ikm, header.salt);
  const key = await aesGcmKey(cek, 'decrypt');
  const parts: Uint8Array[] = [];
  for (let seq = 0; seq < count; seq++) {
    const start = seq * header.rs;
    const record = content.subarray(start, Math.min(start + header.rs, content.length));
    parts.push(await openRecord(key, recordNonce(nonce, seq), record, seq === count - 1));
  }
  return concatBytes(...parts);
}

/** Opens one record and strips its padding; checks the delimiter. */
export async function openRecord(key: WebCryptoKey, nonce: Uint8Array, record: Uint8Array, last: boolean): Promise<Uint8Array> {
  if (record.length <= TAG_LENGTH) throw new DecryptError('record truncated');
  const plain = await aesGcmOpen(key, nonce, record);
  if (!plain) throw new DecryptError('authentication failed');
  let i = plain.length - 1;
  while (i >= 0 && plain[i] === 0) i--;
  if (i < 0) throw new DecryptError('record has no padding delimiter');
  if (plain[i] !== (last ? 0x02 : 0x01)) throw new DecryptError(last ? 'last record delimiter is not 0x02' : 'record delimiter is not 0x01');
  return plain.subarray(0, i);
}
