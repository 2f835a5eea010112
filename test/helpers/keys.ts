import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';

/** Kinds of private keys a test may need, P-256 and the ones pushmesh must refuse. */
export type KeyKind = 'p256' | 'p384' | 'secp256k1' | 'ed25519' | 'x25519' | 'rsa';

export function generatePrivateKey(kind: KeyKind = 'p256'): KeyObject {
  switch (kind) {
    case 'p256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    case 'p384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    case 'secp256k1':
      return generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey;
    case 'ed25519':
      return generateKeyPairSync('ed25519').privateKey;
    case 'x25519':
      return generateKeyPairSync('x25519').privateKey;
    case 'rsa':
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  }
}

export function pkcs8Pem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** SEC1 ("EC PRIVATE KEY") PEM; EC keys only. */
export function sec1Pem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'sec1' }).toString();
}

/** 65-byte uncompressed public key of an EC P-256 key, read through JWK. */
export function uncompressedPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.concat([Buffer.of(4), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')]);
}

const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32, lowercase, unpadded, written out bit by bit (independent of @scure/base). */
export function base32Lower(bytes: Uint8Array): string {
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += BASE32_ALPHABET[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
}

/** A node ID computed the slow, obvious way: base32(SHA-256(uncompressed key)). */
export function referenceNodeId(uncompressed: Uint8Array): string {
  return base32Lower(createHash('sha256').update(uncompressed).digest());
}
