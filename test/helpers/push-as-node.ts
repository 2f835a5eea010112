import { request } from 'node:https';
import { loadIdentity } from '../../src/identity/index.js';
import type { Card } from '../../src/identity/types.js';
import { encodePlaintext, newMessageId, recipientOf, SenderMacKeys } from '../../src/message/index.js';
import type { Payload } from '../../src/message/types.js';
import { formatSenderHeader, SENDER_HEADER } from '../../src/transport/https/sender-header.js';
import { encryptWebPush, VapidSigner } from '../../src/webpush/index.js';

/**
 * Sends one message as the node whose home is `home` (its own key signs
 * VAPID) straight to `card`'s HTTPS Web Push endpoint, on any topic —
 * reserved ones included, which a node's local API refuses to send, with
 * the node's sender proof (`Pushmesh-Sender`). For
 * tests of what a receiver does with messages from another node. Resolves
 * with the HTTP status.
 */
export async function pushAsNode(home: string, card: Card, topic: string, data: Payload, ttl = 60): Promise<number> {
  const id = await loadIdentity(home);
  const signer = new VapidSigner({ privateKey: id.privateKey, publicKey: id.publicKey });
  const [msgId, time] = [newMessageId(), Date.now()];
  const keys = recipientOf(card);
  const body = encryptWebPush(encodePlaintext({ id: msgId, topic, time, meta: {}, data }), keys);
  const url = new URL(card.endpoint);
  const authorization = await signer.authorization(url.origin);
  const proofOf = { id: msgId, from: id.id, to: card.id, replace: '', time, body };
  const mac = new SenderMacKeys(id.privateScalar, id.publicKey).sign(proofOf, keys.p256dh);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', rejectUnauthorized: false, headers: { ttl: String(ttl), 'content-encoding': 'aes128gcm', 'content-type': 'application/octet-stream', authorization, [SENDER_HEADER]: formatSenderHeader({ id: msgId, time, mac }) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}
