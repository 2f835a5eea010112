/**
 * RFC 8291 Web Push encryption with WebCrypto, byte for byte the node's
 * (src/webpush/rfc8291.ts, webpush-decrypter.ts): a fresh ephemeral
 * P-256 key per message, IKM = HKDF(auth, ECDH, "WebPush: info\0" ‖ ua ‖ as, 32),
 * one aes128gcm record, rs 4096, keyid = the ephemeral public key,
 * delimiter 0x02, no padding, at most 4096 bytes of body.
 */
import { parseAes128gcmHeader, deriveContentKeys, openRecord, HEADER_BASE_LENGTH, TAG_LENGTH } from './aes128gcm.js';
import { concatBytes, utf8 } from './bytes.js';
import { aesGcmKey, aesGcmSeal, ecdh, exportRawPublicKey, hkdf, importP256PrivateKey, isUncompressedPoint, randomBytes, subtle } from './crypto.js';
import { DecryptError, PushmeshError } from './errors.js';
import type { WebCryptoKey, WebCryptoKeyPair } from './webcrypto-types.js';

export const MAX_WEBPUSH_BODY = 4096;
export const WEBPUSH_RECORD_SIZE = 4096;
/** salt 16 ‖ rs 4 ‖ idlen 1 ‖ keyid 65. */
export const WEBPUSH_HEADER_LENGTH = 86;
export const WEBPUSH_AUTH_LENGTH = 16;
/** 4096 − 86 − 16 − 1 = 3993. */
export const MAX_WEBPUSH_PLAINTEXT = MAX_WEBPUSH_BODY - WEBPUSH_HEADER_LENGTH - TAG_LENGTH - 1;

const KEY_INFO_PREFIX = utf8('WebPush: info\0');

/** A receiver as a Web Push subscription names it. */
export interface WebPushRecipient {
  /** 65-byte uncompressed P-256 public key. */
  p256dh: Uint8Array;
  /** 16-byte auth secret. */
  auth: Uint8Array;
}

/** What it takes to open bodies sent to us: our ECDH private key (non-extractable is fine), our public key, our auth secret. */
export interface WebPushReceiverKeys {
  ecdhPrivateKey: WebCryptoKey;
  publicKey: Uint8Array;
  auth: Uint8Array;
}

export interface EncryptWebPushOptions {
  /** 16-byte salt; random when absent. For vectors only. */
  salt?: Uint8Array;
  /** A fixed ephemeral key pair (32-byte scalar, 65-byte public key); fresh when absent. For vectors only. */
  ephemeral?: { privateKey: Uint8Array; publicKey: Uint8Array };
}

/** RFC 8291 §3.4 key_info: "WebPush: info\0" ‖ ua_public ‖ as_public. */
function keyInfo(uaPublic: Uint8Array, asPublic: Uint8Array): Uint8Array {
  return concatBytes(KEY_INFO_PREFIX, uaPublic, asPublic);
}

/** IKM = HKDF(salt = auth, IKM = ecdh_secret, info = key_info, 32) (RFC 8291 §3.3). */
export async function webPushIkm(auth: Uint8Array, secret: Uint8Array, uaPublic: Uint8Array, asPublic: Uint8Array): Promise<Uint8Array> {
  return hkdf(auth, secret, keyInfo(uaPublic, asPublic), 32);
}

/**
 * Encrypts one Web Push message. Plaintext over MAX_WEBPUSH_PLAINTEXT is
 * ERR_PAYLOAD_TOO_LARGE; a recipient key off P-256 or an auth secret not
 * 16 bytes is ERR_BAD_KEY.
 */
export async function encryptWebPush(plaintext: Uint8Array, recipient: WebPushRecipient, opts: EncryptWebPushOptions = {}): Promise<Uint8Array> {
  if (!(plaintext instanceof Uint8Array)) throw new PushmeshError('ERR_BAD_ARGUMENT', 'plaintext must be bytes');
  if (plaintext.length > MAX_WEBPUSH_PLAINTEXT) {
    throw new PushmeshError('ERR_PAYLOAD_TOO_LARGE', `Web Push plaintext is ${plaintext.length} bytes; at most ${MAX_WEBPUSH_PLAINTEXT} fit in a 4096-byte body`);
  }
  const { p256dh, auth } = recipient;
  if (!(p256dh instanceof Uint8Array) || !isUncompressedPoint(p256dh)) throw new PushmeshError('ERR_BAD_KEY', 'recipient p256dh must be a 65-byte uncompressed P-256 point');
  if (!(auth instanceof Uint8Array) || auth.length !== WEBPUSH_AUTH_LENGTH) throw new PushmeshError('ERR_BAD_KEY', 'recipient auth secret must be 16 bytes');
  let privateKey: WebCryptoKey;
  let asPublic: Uint8Array;
  if (opts.ephemeral) {
    privateKey = await importP256PrivateKey(opts.ephemeral.privateKey, opts.ephemeral.publicKey, 'ECDH');
    asPublic = opts.ephemeral.publicKey;
  } else {
    const pair = (await subtle().generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])) as WebCryptoKeyPair;
    privateKey = pair.privateKey;
    asPublic = await exportRawPublicKey(pair.publicKey);
  }
  let secret: Uint8Array;
  try {
    secret = await ecdh(privateKey, p256dh);
  } catch (cause) {
    throw new PushmeshError('ERR_BAD_KEY', 'recipient p256dh is not a point on P-256', { cause });
  }
  const salt = opts.salt ?? randomBytes(16);
  if (salt.length !== 16) throw new PushmeshError('ERR_BAD_ARGUMENT', 'salt must be 16 bytes');
  const header = new Uint8Array(WEBPUSH_HEADER_LENGTH);
  header.set(salt, 0);
  new DataView(header.buffer).setUint32(16, WEBPUSH_RECORD_SIZE);
  header[20] = 65;
  header.set(asPublic, HEADER_BASE_LENGTH);
  const ikm = await webPushIkm(auth, secret, p256dh, asPublic);
  const { cek, nonce } = await deriveContentKeys(ikm, salt);
  const record = new Uint8Array(plaintext.length + 1);
  record.set(plaintext, 0);
  record[plaintext.length] = 0x02;
  const sealed = await aesGcmSeal(await aesGcmKey(cek, 'encrypt'), nonce, record);
  return concatBytes(header, sealed);
}

/**
 * Opens a Web Push body sent to `keys`: at most 4096 bytes, one record,
 * keyid a 65-byte uncompressed point, delimiter 0x02. Every failure is a
 * DecryptError (`detail` says why).
 */
export async function decryptWebPush(body: Uint8Array, keys: WebPushReceiverKeys): Promise<Uint8Array> {
  if (!(body instanceof Uint8Array)) throw new DecryptError('body is not bytes');
  if (body.length > MAX_WEBPUSH_BODY) throw new DecryptError('body larger than 4096 bytes');
  const header = parseAes128gcmHeader(body);
  if (!isUncompressedPoint(header.keyid)) throw new DecryptError('keyid is not a 65-byte uncompressed point');
  if (body.length - header.length > header.rs) throw new DecryptError('more than one record');
  let secret: Uint8Array;
  try {
    secret = await ecdh(keys.ecdhPrivateKey, header.keyid);
  } catch (cause) {
    throw new DecryptError('sender key is not a point on P-256', { cause });
  }
  const ikm = await webPushIkm(keys.auth, secret, keys.publicKey, header.keyid);
  const { cek, nonce } = await deriveContentKeys(ikm, header.salt);
  return openRecord(await aesGcmKey(cek, 'decrypt'), nonce, body.subarray(header.length), true);
}
