import { randomBytes } from 'node:crypto';
import { PushmeshError } from '../errors/index.js';
import type { Card, NodeId } from '../identity/types.js';
import { decryptAes128gcm, encryptAes128gcm, encryptWebPush, type WebPushDecrypter } from '../webpush/index.js';
import { decodeCanonicalBase64Url } from '../util/base64url.js';
import { MAX_CONFIG_RECIPIENTS } from './names.js';
import type { EncryptedConfigData } from './types.js';

/** Bytes of the random content key (the RFC 8188 IKM) of one encrypted config: 16, as RFC 8188 implementations (http_ece) expect. */
export const CONTENT_KEY_LENGTH = 16;

/**
 * Encrypts `data` (any JSON value) so that only the nodes of `recipients`
 * can read it: the JSON text in one RFC 8188 `aes128gcm` body under a fresh
 * random key, and that key in one RFC 8291 Web Push body per recipient
 * card, exactly what any Web Push receiver can open. The signature over
 * the payload then covers the ciphertext and the recipient list.
 */
export function encryptConfigData(data: unknown, recipients: readonly Card[]): EncryptedConfigData {
  const text = JSON.stringify(data);
  if (text === undefined) throw new PushmeshError('ERR_BAD_ARGUMENT', 'config data has no JSON form');
  const unique = [...new Map(recipients.map((c) => [c.id, c])).values()];
  if (unique.length === 0 || unique.length > MAX_CONFIG_RECIPIENTS) {
    throw new PushmeshError('ERR_BAD_ARGUMENT', `an encrypted config needs 1 to ${MAX_CONFIG_RECIPIENTS} recipients`);
  }
  const contentKey = randomBytes(CONTENT_KEY_LENGTH);
  const ciphertext = encryptAes128gcm(Buffer.from(text, 'utf8'), { ikm: contentKey }).toString('base64url');
  return {
    enc: 'aes128gcm',
    ciphertext,
    recipients: unique.map((card) => ({
      id: card.id,
      key: encryptWebPush(contentKey, {
        p256dh: Buffer.from(card.keys.p256dh, 'base64url'),
        auth: Buffer.from(card.keys.auth, 'base64url'),
      }).toString('base64url'),
    })),
  };
}

export type DecryptedConfigData =
  | { readable: true; data: unknown }
  | { readable: false; why: 'not a recipient' | 'does not decrypt' };

/**
 * Opens encrypted config data with this node's Web Push keys. Never
 * throws: a node that is not listed, or whose entry does not open (the
 * owner used an old card, say), gets `readable: false` and the reason.
 */
export function decryptConfigData(enc: EncryptedConfigData, self: NodeId, decrypter: WebPushDecrypter): DecryptedConfigData {
  const mine = enc.recipients.find((r) => r.id === self);
  if (!mine) return { readable: false, why: 'not a recipient' };
  try {
    const contentKey = decrypter.decrypt(decodeCanonicalBase64Url(mine.key) ?? Buffer.alloc(0));
    if (contentKey.length !== CONTENT_KEY_LENGTH) return { readable: false, why: 'does not decrypt' };
    const body = decodeCanonicalBase64Url(enc.ciphertext) ?? Buffer.alloc(0);
    const text = decryptAes128gcm(body, { ikm: contentKey, maxRecords: 64 });
    return { readable: true, data: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(text)) };
  } catch {
    return { readable: false, why: 'does not decrypt' };
  }
}
