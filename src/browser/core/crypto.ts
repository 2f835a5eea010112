/**
 * WebCrypto building blocks: P-256 key import, ECDH, HMAC-SHA-256,
 * HKDF-SHA-256, AES-128-GCM, SHA-256. Everything takes and gives
 * Uint8Array. `crypto.subtle` exists only in secure contexts (https,
 * localhost): elsewhere the first call fails with ERR_UNSUPPORTED.
 */
import { copyBytes, toBase64Url } from './bytes.js';
import { PushmeshError } from './errors.js';
import type { EcJwk, WebCryptoKey, WebSubtle } from './webcrypto-types.js';

export function subtle(): WebSubtle {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new PushmeshError('ERR_UNSUPPORTED', 'WebCrypto (crypto.subtle) is not available: the page must be a secure context (https or localhost)');
  return s;
}

export function randomBytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  globalThis.crypto.getRandomValues(out);
  return out;
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', copyBytes(data)));
}

export async function hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await subtle().importKey('raw', copyBytes(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', k, copyBytes(data)));
}

/** HKDF-SHA-256 (RFC 5869) of `length` bytes. */
export async function hkdf(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  const k = await subtle().importKey('raw', copyBytes(ikm), 'HKDF', false, ['deriveBits']);
  const bits = await subtle().deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: copyBytes(salt), info: copyBytes(info) }, k, length * 8);
  return new Uint8Array(bits);
}

/** 65-byte uncompressed point: 0x04 ‖ X ‖ Y (shape only). */
export function isUncompressedPoint(bytes: Uint8Array): boolean {
  return bytes.length === 65 && bytes[0] === 0x04;
}

/** Imports a 65-byte uncompressed P-256 key for ECDH (no usages) or ECDSA verify. Throws ERR_BAD_KEY for anything off the curve. */
export async function importP256PublicKey(raw: Uint8Array, alg: 'ECDH' | 'ECDSA'): Promise<WebCryptoKey> {
  if (!isUncompressedPoint(raw)) throw new PushmeshError('ERR_BAD_KEY', 'expected a 65-byte uncompressed P-256 public key');
  try {
    return await subtle().importKey('raw', copyBytes(raw), { name: alg, namedCurve: 'P-256' }, true, alg === 'ECDSA' ? ['verify'] : []);
  } catch (cause) {
    throw new PushmeshError('ERR_BAD_KEY', 'not a point on P-256', { cause });
  }
}

/**
 * Imports a P-256 private key from its 32-byte scalar and 65-byte public
 * key (JWK d, x, y). For vectors and tests; identities are made with
 * generateKey and never leave WebCrypto.
 */
export async function importP256PrivateKey(
  scalar: Uint8Array,
  publicKey: Uint8Array,
  alg: 'ECDH' | 'ECDSA',
  extractable = false,
): Promise<WebCryptoKey> {
  if (scalar.length !== 32 || !isUncompressedPoint(publicKey)) throw new PushmeshError('ERR_BAD_KEY', 'expected a 32-byte scalar and a 65-byte public key');
  const jwk: EcJwk = {
    kty: 'EC',
    crv: 'P-256',
    d: toBase64Url(scalar),
    x: toBase64Url(publicKey.subarray(1, 33)),
    y: toBase64Url(publicKey.subarray(33, 65)),
  };
  try {
    return await subtle().importKey('jwk', jwk, { name: alg, namedCurve: 'P-256' }, extractable, alg === 'ECDSA' ? ['sign'] : ['deriveBits']);
  } catch (cause) {
    throw new PushmeshError('ERR_BAD_KEY', 'not a P-256 key pair', { cause });
  }
}

/** The 65-byte raw form of a public WebCryptoKey. */
export async function exportRawPublicKey(key: WebCryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await subtle().exportKey('raw', key));
}

/** ECDH over P-256: the 32-byte X coordinate of the shared point. `peer` is a 65-byte key; off-curve is ERR_BAD_KEY. */
export async function ecdh(privateKey: WebCryptoKey, peer: Uint8Array | WebCryptoKey): Promise<Uint8Array> {
  const pub = peer instanceof Uint8Array ? await importP256PublicKey(peer, 'ECDH') : peer;
  const bits = await subtle().deriveBits({ name: 'ECDH', public: pub }, privateKey, 256);
  return new Uint8Array(bits);
}

export async function aesGcmKey(cek: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<WebCryptoKey> {
  return subtle().importKey('raw', copyBytes(cek), 'AES-GCM', false, [usage]);
}

/** AES-128-GCM with a 16-byte tag: ciphertext ‖ tag. */
export async function aesGcmSeal(key: WebCryptoKey, nonce: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: copyBytes(nonce), tagLength: 128 }, key, copyBytes(plaintext)));
}

/** Opens ciphertext ‖ tag; undefined when the tag does not verify. */
export async function aesGcmOpen(key: WebCryptoKey, nonce: Uint8Array, sealed: Uint8Array): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: copyBytes(nonce), tagLength: 128 }, key, copyBytes(sealed)));
  } catch {
    return undefined;
  }
}

/** ECDSA P-256 SHA-256; the 64-byte IEEE P1363 signature r ‖ s (what JWS ES256 and the link challenge use). */
export async function ecdsaSign(privateKey: WebCryptoKey, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, copyBytes(data)));
}

export async function ecdsaVerify(publicKey: WebCryptoKey, sig: Uint8Array, data: Uint8Array): Promise<boolean> {
  if (sig.length !== 64) return false;
  try {
    return await subtle().verify({ name: 'ECDSA', hash: 'SHA-256' }, publicKey, copyBytes(sig), copyBytes(data));
  } catch {
    return false;
  }
}
