import { createECDH, type ECDH } from 'node:crypto';
import { DecryptError, PushmeshError } from '../errors/index.js';
import { parseAes128gcmHeader } from './aes128gcm-header.js';
import { deriveContentKeys } from './aes128gcm-keys.js';
import { openRecord } from './aes128gcm-record.js';
import { ecdhSecret, isUncompressedPoint, P256_SCALAR_LENGTH } from './p256.js';
import { KEY_INFO_AS_OFFSET, newKeyInfo, webPushIkm } from './rfc8291-keys.js';
import { MAX_WEBPUSH_BODY, WEBPUSH_AUTH_LENGTH } from './rfc8291.js';

/** A receiver's Web Push keys: its P-256 key pair and auth secret. */
export interface WebPushReceiverKeys {
  /** 32-byte private scalar. */
  privateScalar: Uint8Array;
  /** 65-byte uncompressed public key (the subscription's p256dh). */
  publicKey: Uint8Array;
  /** 16-byte auth secret. */
  auth: Uint8Array;
}

/**
 * Opens Web Push bodies (RFC 8291) addressed to one receiver. Keeps one
 * ECDH object and one key_info buffer for its lifetime. Enforces what
 * RFC 8291 asks of a body: at most 4096 bytes, a single record (the whole
 * ciphertext fits in rs, whatever rs ≥ 18 the sender chose), keyid = a
 * 65-byte uncompressed P-256 point, delimiter 0x02. Every failure is a
 * DecryptError (one opaque error; the reason is in `detail`).
 */
export class WebPushDecrypter {
  readonly #ecdh: ECDH;
  readonly #auth: Buffer;
  readonly #keyInfo: Buffer;

  constructor(keys: WebPushReceiverKeys) {
    const { privateScalar, publicKey, auth } = keys;
    if (!(auth instanceof Uint8Array) || auth.length !== WEBPUSH_AUTH_LENGTH) {
      throw new PushmeshError('ERR_BAD_KEY', 'auth secret must be 16 bytes');
    }
    if (!(publicKey instanceof Uint8Array) || !isUncompressedPoint(publicKey)) {
      throw new PushmeshError('ERR_BAD_KEY', 'public key must be a 65-byte uncompressed P-256 point');
    }
    this.#ecdh = createECDH('prime256v1');
    try {
      if (!(privateScalar instanceof Uint8Array) || privateScalar.length !== P256_SCALAR_LENGTH) {
        throw new RangeError('not 32 bytes');
      }
      this.#ecdh.setPrivateKey(privateScalar);
    } catch (cause) {
      throw new PushmeshError('ERR_BAD_KEY', 'private scalar is not a P-256 key', { cause });
    }
    if (!this.#ecdh.getPublicKey().equals(publicKey)) {
      throw new PushmeshError('ERR_BAD_KEY', 'public key does not belong to the private scalar');
    }
    this.#auth = Buffer.from(auth);
    this.#keyInfo = newKeyInfo(publicKey);
  }

  decrypt(body: Uint8Array): Buffer {
    if (!(body instanceof Uint8Array)) throw new DecryptError('body is not bytes');
    if (body.length > MAX_WEBPUSH_BODY) throw new DecryptError('body larger than 4096 bytes');
    const header = parseAes128gcmHeader(body);
    if (!isUncompressedPoint(header.keyid)) throw new DecryptError('keyid is not a 65-byte uncompressed point');
    const recordLength = body.length - header.length;
    if (recordLength > header.rs) throw new DecryptError('more than one record');
    let secret: Buffer;
    try {
      secret = ecdhSecret(this.#ecdh, header.keyid);
    } catch (cause) {
      throw new DecryptError('sender key is not a point on P-256', { cause });
    }
    this.#keyInfo.set(header.keyid, KEY_INFO_AS_OFFSET);
    const { cek, nonce } = deriveContentKeys(webPushIkm(this.#auth, secret, this.#keyInfo), header.salt);
    return openRecord(body.subarray(header.length), cek, nonce, true);
  }
}
