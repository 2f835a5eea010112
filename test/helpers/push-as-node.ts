import { request } from 'node:https';
import { loadIdentity } from '../../src/identity/index.js';
import type { Card } from '../../src/identity/types.js';
import { encodePlaintext, newMessageId, recipientOf } from '../../src/message/index.js';
import type { Payload } from '../../src/message/types.js';
import { encryptWebPush, VapidSigner } from '../../src/webpush/index.js';

/**
 * Sends one message as the node whose home is `home` (its own key signs
 * VAPID) straight to `card`'s HTTPS Web Push endpoint, on any topic —
 * reserved ones included, which a node's local API refuses to send. For
 * tests of what a receiver does with messages from another node. Resolves
 * with the HTTP status.
 */
export async function pushAsNode(home: string, card: Card, topic: string, data: Payload, ttl = 60): Promise<number> {
  const id = await loadIdentity(home);
  const signer = new VapidSigner({ privateKey: id.privateKey, publicKey: id.publicKey });
  const body = encryptWebPush(encodePlaintext({ id: newMessageId(), topic, time: Date.now(), meta: {}, data }), recipientOf(card));
  const url = new URL(card.endpoint);
  const authorization = await signer.authorization(url.origin);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', rejectUnauthorized: false, headers: { ttl: String(ttl), 'content-encoding': 'aes128gcm', 'content-type': 'application/octet-stream', authorization } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}
