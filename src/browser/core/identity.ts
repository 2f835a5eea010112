/**
 * A browser node's identity: one P-256 key made with WebCrypto, held as
 * two non-extractable CryptoKeys (ECDSA for VAPID and the link challenge,
 * ECDH for Web Push and the sender MAC: WebCrypto binds a key to one
 * algorithm), its 65-byte public key, its node ID and a 16-byte auth secret.
 */
import { randomBytes, exportRawPublicKey, importP256PrivateKey, isUncompressedPoint, subtle } from './crypto.js';
import { PushmeshError } from './errors.js';
import { nodeIdOf, type NodeId } from './node-id.js';
import type { EcJwk, WebCryptoKey, WebCryptoKeyPair } from './webcrypto-types.js';

export interface BrowserIdentity {
  id: NodeId;
  /** 65-byte uncompressed public key (the card's p256dh). */
  publicKey: Uint8Array;
  /** 16-byte Web Push auth secret. */
  auth: Uint8Array;
  /** ECDSA P-256, usage sign, non-extractable. */
  signingKey: WebCryptoKey;
  /** ECDH P-256, usage deriveBits, non-extractable. */
  ecdhKey: WebCryptoKey;
}

/**
 * A fresh identity. The key pair is generated extractable only long
 * enough to import its private half twice, non-extractable (ECDSA and
 * ECDH); the extractable copy is then dropped and only the two
 * non-extractable keys are kept.
 */
export async function generateIdentity(): Promise<BrowserIdentity> {
  const pair = (await subtle().generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as WebCryptoKeyPair;
  const jwk = await subtle().exportKey('jwk', pair.privateKey);
  const publicKey = await exportRawPublicKey(pair.publicKey);
  const base = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, d: jwk.d } as EcJwk;
  const signingKey = await subtle().importKey('jwk', base, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const ecdhKey = await subtle().importKey('jwk', base, { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
  jwk.d = '';
  base.d = '';
  return { id: await nodeIdOf(publicKey), publicKey, auth: randomBytes(16), signingKey, ecdhKey };
}

/**
 * An identity from a known private scalar (32 bytes), its public key and
 * auth secret: for tests and vectors, and for importing a node's key.
 * The keys are non-extractable.
 */
export async function importIdentity(privateScalar: Uint8Array, publicKey: Uint8Array, auth: Uint8Array): Promise<BrowserIdentity> {
  if (!isUncompressedPoint(publicKey)) throw new PushmeshError('ERR_BAD_KEY', 'public key must be a 65-byte uncompressed P-256 point');
  if (auth.length !== 16) throw new PushmeshError('ERR_BAD_KEY', 'auth secret must be 16 bytes');
  const signingKey = await importP256PrivateKey(privateScalar, publicKey, 'ECDSA');
  const ecdhKey = await importP256PrivateKey(privateScalar, publicKey, 'ECDH');
  return { id: await nodeIdOf(publicKey), publicKey: publicKey.slice(), auth: auth.slice(), signingKey, ecdhKey };
}
