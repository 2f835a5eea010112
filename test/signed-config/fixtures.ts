import { createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';
import type { Card } from '../../src/identity/types.js';
import { referenceNodeId } from '../helpers/keys.js';

/** A config owner (or any node): a P-256 key, its node ID computed independently, a card. */
export interface TestOwner {
  privateKey: KeyObject;
  /** 65-byte uncompressed public key. */
  publicKey: Buffer;
  privateScalar: Buffer;
  auth: Buffer;
  id: string;
  jwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
  card: Card;
}

export function makeOwner(): TestOwner {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const j = createPublicKey(privateKey).export({ format: 'jwk' });
  const d = privateKey.export({ format: 'jwk' }).d!;
  const publicKey = Buffer.concat([Buffer.of(4), Buffer.from(j.x!, 'base64url'), Buffer.from(j.y!, 'base64url')]);
  const id = referenceNodeId(publicKey);
  const auth = randomBytes(16);
  return {
    privateKey,
    publicKey,
    privateScalar: Buffer.from(d, 'base64url'),
    auth,
    id,
    jwk: { kty: 'EC', crv: 'P-256', x: j.x!, y: j.y! },
    card: { id, endpoint: `https://127.0.0.1:9/push/${id}`, keys: { p256dh: publicKey.toString('base64url'), auth: auth.toString('base64url') } },
  };
}

/**
 * A compact JWS with any header and payload, signed (ES256) with `key`:
 * for inputs that are validly signed but not our format.
 */
export async function craftJws(header: Record<string, unknown>, payload: unknown, key: KeyObject): Promise<string> {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(JSON.stringify(payload));
  return new CompactSign(bytes).setProtectedHeader({ alg: 'ES256', ...header }).sign(key);
}

/** Our header for `owner`. */
export function headerOf(owner: TestOwner): Record<string, unknown> {
  return { alg: 'ES256', typ: 'pushmesh-config+jws', kid: owner.id, jwk: owner.jwk };
}

export const b64json = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
