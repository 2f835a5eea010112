import { randomBytes, type KeyObject } from 'node:crypto';
import type { Card } from '../../src/identity/types.js';
import { generatePrivateKey, referenceNodeId, uncompressedPublicKey } from './keys.js';

export interface TestCard {
  readonly card: Card;
  readonly privateKey: KeyObject;
}

/** A valid card of a fresh random key, built without pushmesh's own code. */
export function makeCard(origin = 'https://peer.example:15443'): TestCard {
  const privateKey = generatePrivateKey('p256');
  const publicKey = uncompressedPublicKey(privateKey);
  const id = referenceNodeId(publicKey);
  return {
    privateKey,
    card: {
      id,
      endpoint: `${origin}/push/${id}`,
      keys: { p256dh: publicKey.toString('base64url'), auth: randomBytes(16).toString('base64url') },
    },
  };
}
