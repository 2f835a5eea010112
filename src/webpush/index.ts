/**
 * Web Push message encryption (RFC 8188 `aes128gcm`, RFC 8291) and VAPID
 * (RFC 8292). Every decryption failure is a DecryptError; every VAPID
 * failure is a VapidError (ERR_VAPID_MISSING / ERR_VAPID_INVALID).
 */
export {
  encryptAes128gcm,
  decryptAes128gcm,
  type EncryptAes128gcmOptions,
  type DecryptAes128gcmOptions,
} from './aes128gcm.js';
export { parseAes128gcmHeader, type Aes128gcmHeader } from './aes128gcm-header.js';
export {
  encryptWebPush,
  MAX_WEBPUSH_BODY,
  MAX_WEBPUSH_PLAINTEXT,
  WEBPUSH_RECORD_SIZE,
  type EncryptWebPushOptions,
  type WebPushRecipient,
} from './rfc8291.js';
export { WebPushDecrypter, type WebPushReceiverKeys } from './webpush-decrypter.js';
export {
  parseVapidAuthorization,
  formatVapidAuthorization,
  type VapidAuthorization,
} from './vapid-authorization.js';
export { MAX_VAPID_TTL_SECONDS, type VerifiedVapid } from './vapid-claims.js';
export {
  VapidSigner,
  DEFAULT_VAPID_SUBJECT,
  DEFAULT_VAPID_TTL_SECONDS,
  type VapidSignerOptions,
  type VapidSignerStats,
} from './vapid-signer.js';
export { VapidVerifier, type VapidVerifierOptions, type VapidVerifierStats } from './vapid-verifier.js';
