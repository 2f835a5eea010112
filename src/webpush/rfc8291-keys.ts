import { deriveContentKeys, type ContentKeys } from './aes128gcm-keys.js';
import { hmacSha256 } from './hmac.js';

const KEY_INFO_PREFIX = 'WebPush: info\0';
/** Offsets in key_info ‖ 0x01 = "WebPush: info\0" ‖ ua_public ‖ as_public ‖ 0x01. */
export const KEY_INFO_UA_OFFSET = 14;
export const KEY_INFO_AS_OFFSET = 14 + 65;
export const KEY_INFO_LENGTH = 14 + 65 + 65 + 1;

/**
 * A reusable key_info buffer (RFC 8291 §3.4) with the label and the
 * trailing HKDF counter 0x01 in place; callers write the two public keys.
 */
export function newKeyInfo(uaPublic?: Uint8Array): Buffer {
  const info = Buffer.alloc(KEY_INFO_LENGTH);
  info.write(KEY_INFO_PREFIX, 0, 'latin1');
  info[KEY_INFO_LENGTH - 1] = 0x01;
  if (uaPublic) info.set(uaPublic, KEY_INFO_UA_OFFSET);
  return info;
}

/**
 * IKM = HKDF(auth_secret, ecdh_secret, key_info, 32) (RFC 8291 §3.3/§3.4):
 * PRK_key = HMAC(auth, ecdh_secret); IKM = HMAC(PRK_key, key_info ‖ 0x01).
 * `keyInfo` comes from newKeyInfo() with both keys written.
 */
export function webPushIkm(auth: Uint8Array, secret: Uint8Array, keyInfo: Uint8Array): Buffer {
  return hmacSha256(hmacSha256(auth, secret), keyInfo);
}

/** Every intermediate value of RFC 8291 Appendix A, for tests and debugging (not the hot path). */
export interface WebPushKeySchedule extends ContentKeys {
  prkKey: Buffer;
  ikm: Buffer;
}

export function webPushKeySchedule(
  ecdhSecret: Uint8Array,
  auth: Uint8Array,
  uaPublic: Uint8Array,
  asPublic: Uint8Array,
  salt: Uint8Array,
): WebPushKeySchedule {
  const info = newKeyInfo(uaPublic);
  info.set(asPublic, KEY_INFO_AS_OFFSET);
  const prkKey = hmacSha256(auth, ecdhSecret);
  const ikm = hmacSha256(prkKey, info);
  return { prkKey, ikm, ...deriveContentKeys(ikm, salt) };
}
