import { DecryptError, PushmeshError, VapidError } from '../errors/index.js';
import { nodeIdFromPublicKey } from '../identity/node-id.js';
import type { NodeId } from '../identity/types.js';
import type { VapidVerifier, WebPushDecrypter } from '../webpush/index.js';
import { badMessage } from './bad-message.js';
import { linkAudience } from './link-audience.js';
import { decodePlaintext } from './plaintext.js';
import type { SenderMacKeys } from './sender-mac.js';
import type { Message, WebpushMessage } from './types.js';
import { validateWebpushMessage } from './validate.js';

/** The destination's side of openMessage (WebPushDecrypter and VapidVerifier have these). */
export interface MessageReceiver {
  /** This node's ID. */
  id: NodeId;
  decrypter: Pick<WebPushDecrypter, 'decrypt'>;
  verifier: Pick<VapidVerifier, 'verify'>;
  /** Topic given to a body from a plain Web Push sender (no pushmesh JSON); default ''. */
  foreignTopic?: string;
  /** When given, the sender MAC is required and checked (always, on links). */
  senderMac?: Pick<SenderMacKeys, 'verify'>;
}

/**
 * Opens a message addressed to this node, in this order:
 * 1. bounds and `to` === receiver.id, else ERR_BAD_MESSAGE;
 * 2. VAPID for audience `pushmesh://<receiver id>`: ERR_VAPID_MISSING or
 *    ERR_VAPID_INVALID (VapidError);
 * 3. `from` === node ID of the VAPID key, else VapidError ERR_VAPID_INVALID;
 * 3b. with `senderMac`: the sender MAC, else ERR_BAD_SIGNATURE;
 * 4. decryption: DecryptError (ERR_DECRYPT) for any failure;
 * 5. the plaintext: pushmesh JSON whose `id` differs from the clear `id`
 *    is ERR_BAD_MESSAGE; any other body is delivered whole as `data`.
 */
export async function openMessage(wire: WebpushMessage, receiver: MessageReceiver): Promise<Message> {
  validateWebpushMessage(wire);
  if (wire.to !== receiver.id) throw badMessage('message is addressed to another node');

  let senderKey: Uint8Array;
  try {
    senderKey = (await receiver.verifier.verify(wire.authorization, linkAudience(receiver.id))).publicKey;
  } catch (err) {
    if (err instanceof VapidError) throw err;
    throw new VapidError('ERR_VAPID_INVALID', 'verification failed', { cause: err });
  }
  let sender: NodeId;
  try {
    sender = nodeIdFromPublicKey(senderKey);
  } catch (cause) {
    throw new VapidError('ERR_VAPID_INVALID', 'VAPID key is not a P-256 public key', { cause });
  }
  if (sender !== wire.from) throw new VapidError('ERR_VAPID_INVALID', '"from" is not the node ID of the VAPID key');
  if (receiver.senderMac && !receiver.senderMac.verify(wire, senderKey)) {
    throw new PushmeshError('ERR_BAD_SIGNATURE', wire.senderMac ? 'sender MAC does not match the content' : 'sender MAC missing');
  }

  let plaintext: Uint8Array;
  try {
    plaintext = receiver.decrypter.decrypt(wire.body);
  } catch (err) {
    if (err instanceof DecryptError) throw err;
    throw new DecryptError(err instanceof PushmeshError ? err.code : 'unexpected', { cause: err });
  }

  const content = decodePlaintext(plaintext, { id: wire.id, topic: receiver.foreignTopic ?? '', time: wire.time });
  if (!content.foreign && content.id !== wire.id) throw badMessage('encrypted id differs from the id in the clear');
  const msg: Message = {
    id: wire.id,
    from: wire.from,
    to: wire.to,
    topic: content.topic,
    time: content.time,
    ttl: wire.ttl,
    urgency: wire.urgency,
    meta: content.meta,
    data: content.data,
  };
  if (wire.replace !== '') msg.replace = wire.replace;
  if (!content.foreign && content.receipt) msg.receipt = true;
  if (wire.path.length > 0) msg.path = [...wire.path];
  return msg;
}
