import { createECDH, randomFillSync, type ECDH } from 'node:crypto';
import { PushmeshError } from '../errors/index.js';
import { deriveContentKeys } from './aes128gcm-keys.js';
import { sealRecord } from './aes128gcm-record.js';
import { ecdhSecret, isUncompressedPoint, P256_PUBLIC_KEY_LENGTH, P256_SCALAR_LENGTH } from './p256.js';
import { KEY_INFO_AS_OFFSET, KEY_INFO_UA_OFFSET, newKeyInfo, webPushIkm } from './rfc8291-keys.js';

/** RFC 8291 §4: a push message body is at most 4096 bytes. */
export const MAX_WEBPUSH_BODY = 4096;
/** The record size Web Push senders put in the header. */
export const WEBPUSH_RECORD_SIZE = 4096;
/** salt 16 ‖ rs 4 ‖ idlen 1 ‖ keyid 65. */
export const WEBPUSH_HEADER_LENGTH = 86;
export const WEBPUSH_AUTH_LENGTH = 16;
/** 4096 − 86 (header) − 16 (tag) − 1 (delimiter) = 3993. */
export const MAX_WEBPUSH_PLAINTEXT = MAX_WEBPUSH_BODY - WEBPUSH_HEADER_LENGTH - 16 - 1;

/** A receiver as a Web Push subscription names it: its P-256 key and auth secret. */
export interface WebPushRecipient {
  /** 65-byte uncompressed P-256 public key. */
  p256dh: Uint8Array;
  /** 16-byte auth secret. */
  auth: Uint8Array;
}

export interface EncryptWebPushOptions {
  /** 16-byte salt; random when absent. For tests and vectors only. */
  salt?: Uint8Array;
  /** 32-byte ephemeral private key; fresh when absent. For tests and vectors only. */
  ephemeralPrivateKey?: Uint8Array;
}

// One ECDH object for all messages: generateKeys() replaces its key pair
// with a fresh random one on every call, at half the cost of a new object
// (docs/benchmarks.md). Safe because encryptWebPush is synchronous. The
// last message's ephemeral key stays in it until the next message, as it
// would in a garbage-collected ECDH object.
const ephemeral = createECDH('prime256v1');
const keyInfo = newKeyInfo();

/**
 * Encrypts one Web Push message (RFC 8291): a fresh ephemeral P-256 key
 * per message, IKM from ECDH and the auth secret, one `aes128gcm` record
 * with rs 4096, keyid = the 65-byte ephemeral public key, delimiter 0x02,
 * no padding. The body is at most 4096 bytes, so the plaintext is at most
 * MAX_WEBPUSH_PLAINTEXT (3993) bytes; more is ERR_PAYLOAD_TOO_LARGE. A
 * recipient key that is not a P-256 point, or an auth secret that is not
 * 16 bytes, is ERR_BAD_KEY.
 */
export function encryptWebPush(plaintext: Uint8Array, recipient: WebPushRecipient, opts: EncryptWebPushOptions = {}): Buffer {
  if (!(plaintext instanceof Uint8Array)) throw new PushmeshError('ERR_BAD_ARGUMENT', 'plaintext must be bytes');
  if (plaintext.length > MAX_WEBPUSH_PLAINTEXT) {
    throw new PushmeshError(
      'ERR_PAYLOAD_TOO_LARGE',
      `Web Push plaintext is ${plaintext.length} bytes; at most ${MAX_WEBPUSH_PLAINTEXT} fit in a 4096-byte body`,
    );
  }
  const { p256dh, auth } = recipient;
  if (!(p256dh instanceof Uint8Array) || !isUncompressedPoint(p256dh)) {
    throw new PushmeshError('ERR_BAD_KEY', 'recipient p256dh must be a 65-byte uncompressed P-256 point');
  }
  if (!(auth instanceof Uint8Array) || auth.length !== WEBPUSH_AUTH_LENGTH) {
    throw new PushmeshError('ERR_BAD_KEY', 'recipient auth secret must be 16 bytes');
  }

  let ecdh: ECDH = ephemeral;
  let asPublic: Buffer;
  if (opts.ephemeralPrivateKey) {
    ecdh = fixedKey(opts.ephemeralPrivateKey);
    asPublic = ecdh.getPublicKey();
  } else {
    asPublic = ecdh.generateKeys();
  }
  let secret: Buffer;
  try {
    secret = ecdhSecret(ecdh, p256dh);
  } catch (cause) {
    throw new PushmeshError('ERR_BAD_KEY', 'recipient p256dh is not a point on P-256', { cause });
  }

  const out = Buffer.allocUnsafe(WEBPUSH_HEADER_LENGTH + plaintext.length + 1 + 16);
  if (opts.salt) {
    if (opts.salt.length !== 16) throw new PushmeshError('ERR_BAD_ARGUMENT', 'salt must be 16 bytes');
    out.set(opts.salt, 0);
  } else {
    randomFillSync(out, 0, 16);
  }
  out.writeUInt32BE(WEBPUSH_RECORD_SIZE, 16);
  out[20] = P256_PUBLIC_KEY_LENGTH;
  out.set(asPublic, 21);

  keyInfo.set(p256dh, KEY_INFO_UA_OFFSET);
  keyInfo.set(asPublic, KEY_INFO_AS_OFFSET);
  const ikm = webPushIkm(auth, secret, keyInfo);
  const { cek, nonce } = deriveContentKeys(ikm, out.subarray(0, 16));
  sealRecord(out, WEBPUSH_HEADER_LENGTH, cek, nonce, plaintext, true, 0);
  return out;
}

function fixedKey(privateKey: Uint8Array): ECDH {
  const ecdh = createECDH('prime256v1');
  try {
    if (privateKey.length !== P256_SCALAR_LENGTH) throw new RangeError('not 32 bytes');
    ecdh.setPrivateKey(privateKey);
  } catch (cause) {
    throw new PushmeshError('ERR_BAD_KEY', 'ephemeral private key is not a P-256 scalar', { cause });
  }
  return ecdh;
}
