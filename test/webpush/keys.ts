import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { fromBase64Url } from '../../src/util/base64url.js';

/** A fresh P-256 key pair in the forms the webpush API takes. */
export interface P256TestKey {
  privateKey: KeyObject;
  /** 32-byte scalar. */
  privateScalar: Buffer;
  /** 65-byte uncompressed point. */
  publicKey: Buffer;
}

export function newP256Key(): P256TestKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  return {
    privateKey,
    privateScalar: fromBase64Url(jwk.d!),
    publicKey: Buffer.concat([Buffer.of(4), fromBase64Url(jwk.x!), fromBase64Url(jwk.y!)]),
  };
}

/** A receiver: key pair plus a 16-byte auth secret. */
export function newReceiver(): P256TestKey & { auth: Buffer } {
  return { ...newP256Key(), auth: randomBytes(16) };
}
