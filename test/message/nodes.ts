import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { nodeIdFromPublicKey } from '../../src/identity/node-id.js';
import type { Card } from '../../src/identity/types.js';
import { SenderMacKeys } from '../../src/message/index.js';
import { toBase64Url } from '../../src/util/base64url.js';
import { VapidSigner, VapidVerifier, WebPushDecrypter } from '../../src/webpush/index.js';

/** A test node with real keys: one P-256 key pair for VAPID and Web Push, as DESIGN says. */
export interface TestNode {
  id: string;
  publicKey: Buffer;
  privateKey: KeyObject;
  privateScalar: Buffer;
  auth: Buffer;
  card: Card;
  signer: VapidSigner;
  /** Its sender-MAC keys (sealMessage's `senderMac`; the receiving side's check). */
  mac: SenderMacKeys;
  receiver: TestReceiver;
}

/** What a node needs to open messages addressed to it (test/message/open.ts runs them through a real Inbox). */
export interface TestReceiver {
  id: string;
  decrypter: WebPushDecrypter;
  verifier: VapidVerifier;
  senderMac: SenderMacKeys;
}

export function makeNode(): TestNode {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = privateKey.export({ format: 'jwk' });
  const publicKey = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  const privateScalar = Buffer.from(jwk.d!, 'base64url');
  const auth = randomBytes(16);
  const id = nodeIdFromPublicKey(publicKey);
  return {
    id,
    publicKey,
    privateKey,
    privateScalar,
    auth,
    card: { id, endpoint: `https://127.0.0.1:15443/push/${id}`, keys: { p256dh: toBase64Url(publicKey), auth: toBase64Url(auth) } },
    signer: new VapidSigner({ privateKey, publicKey }),
    mac: new SenderMacKeys(privateScalar, publicKey),
    receiver: {
      id,
      decrypter: new WebPushDecrypter({ privateScalar, publicKey, auth }),
      verifier: new VapidVerifier(),
      senderMac: new SenderMacKeys(privateScalar, publicKey),
    },
  };
}
