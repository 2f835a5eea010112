import { hmacSha256 } from './hmac.js';

const CEK_INFO = Buffer.from('Content-Encoding: aes128gcm\0\x01', 'latin1');
const NONCE_INFO = Buffer.from('Content-Encoding: nonce\0\x01', 'latin1');

/** The RFC 8188 §2.2/§2.3 key schedule for one body. */
export interface ContentKeys {
  /** HKDF-Extract(salt, IKM), 32 bytes. */
  prk: Buffer;
  /** Content-encryption key, 16 bytes. */
  cek: Buffer;
  /** Nonce base, 12 bytes; record i uses nonce ⊕ i. */
  nonce: Buffer;
}

/** PRK = HMAC(salt, IKM); CEK = HKDF-Expand(PRK, cek_info, 16); NONCE = HKDF-Expand(PRK, nonce_info, 12). */
export function deriveContentKeys(ikm: Uint8Array, salt: Uint8Array): ContentKeys {
  const prk = hmacSha256(salt, ikm);
  return {
    prk,
    cek: hmacSha256(prk, CEK_INFO).subarray(0, 16),
    nonce: hmacSha256(prk, NONCE_INFO).subarray(0, 12),
  };
}

/** Nonce of record `seq` (RFC 8188 §2.3): the base XOR seq as a 96-bit big-endian integer. */
export function recordNonce(base: Buffer, seq: number): Buffer {
  if (seq === 0) return base;
  const nonce = Buffer.from(base);
  let rest = seq;
  for (let i = 11; rest > 0 && i >= 0; i--) {
    nonce[i] ^= rest & 0xff;
    rest = Math.floor(rest / 256);
  }
  return nonce;
}
