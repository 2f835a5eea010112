import { PushmeshError } from '../errors/index.js';
import { nodeIdFromPublicKey } from '../identity/node-id.js';
import type { Card, NodeId } from '../identity/types.js';
import { fromBase64Url } from '../util/base64url.js';
import type { VapidSigner } from '../webpush/index.js';
import { MAX_WEBPUSH_PLAINTEXT, encryptWebPush, type WebPushRecipient } from '../webpush/index.js';
import { DEFAULT_HOP_LIMIT } from './limits.js';
import { linkAudience } from './link-audience.js';
import { encodePlaintext } from './plaintext.js';
import type { SenderMacKeys } from './sender-mac.js';
import type { Message, WebpushMessage } from './types.js';
import { validateMessage, validateWebpushMessage } from './validate.js';

/** What sealMessage needs of a signer (VapidSigner has it). */
export type MessageSigner = Pick<VapidSigner, 'authorization'>;

export interface SealOptions {
  /** Starting hop limit; default DEFAULT_HOP_LIMIT (8), at most MAX_HOPS (32). */
  hopLimit?: number;
  /** Ask the destination for a delivery receipt. */
  receipt?: boolean;
  /** Jump hosts to go through, in order. */
  via?: NodeId[];
  /** The origin's keys for the sender MAC: every receiver requires it of a message between nodes (docs/security.md). */
  senderMac: Pick<SenderMacKeys, 'sign'>;
}

/** Cards checked lately (id, p256dh, auth → keys): a sender checks a card once, not once per message. */
const checked = new Map<string, WebPushRecipient>();
const CHECKED_MAX = 1024;

/**
 * The card's Web Push keys, checked: p256dh must be the 65-byte key whose
 * node ID is the card's ID (one key per node, DESIGN "Identity"), so a
 * card cannot send a message for one node to another node's key. The
 * outcome for the same three values is remembered (the last 1024).
 */
export function recipientOf(card: Card): WebPushRecipient {
  const key = `${card.id}\u0000${card.keys.p256dh}\u0000${card.keys.auth}`;
  const known = checked.get(key);
  if (known) return known;
  const keys = checkRecipient(card);
  if (checked.size >= CHECKED_MAX) checked.delete(checked.keys().next().value!);
  checked.set(key, keys);
  return keys;
}

function checkRecipient(card: Card): WebPushRecipient {
  let p256dh: Buffer;
  let auth: Buffer;
  try {
    p256dh = fromBase64Url(card.keys.p256dh);
    auth = fromBase64Url(card.keys.auth);
  } catch (cause) {
    throw new PushmeshError('ERR_BAD_CARD', 'card keys are not base64url', { cause });
  }
  let id: NodeId;
  try {
    id = nodeIdFromPublicKey(p256dh);
  } catch (cause) {
    throw new PushmeshError('ERR_BAD_CARD', 'card p256dh is not a 65-byte uncompressed P-256 key', { cause });
  }
  if (id !== card.id) throw new PushmeshError('ERR_BAD_CARD', 'card id is not the node ID of its p256dh key');
  if (auth.length !== 16) throw new PushmeshError('ERR_BAD_CARD', 'card auth secret is not 16 bytes');
  return { p256dh, auth };
}

/**
 * Encrypts `msg` to `recipient` (RFC 8291) and signs the link VAPID
 * authorization (audience `pushmesh://<recipient id>`). `msg.to` must be
 * the card's ID. `msg.from` must be the signer's node ID: receivers refuse
 * the message otherwise (sealMessage cannot see the signer's key).
 *
 * Errors: ERR_BAD_MESSAGE (msg out of bounds), ERR_BAD_ARGUMENT (msg.to
 * is not the card), ERR_BAD_CARD, ERR_PAYLOAD_TOO_LARGE (plaintext JSON
 * over 3993 bytes), and whatever the signer throws.
 */
export async function sealMessage(
  msg: Message,
  recipient: Card,
  signer: MessageSigner,
  options: SealOptions,
): Promise<WebpushMessage> {
  validateMessage(msg);
  if (msg.to !== recipient.id) {
    throw new PushmeshError('ERR_BAD_ARGUMENT', 'message "to" is not the node ID of the card it is sealed to');
  }
  const keys = recipientOf(recipient);
  const plaintext = encodePlaintext(msg);
  if (plaintext.length > MAX_WEBPUSH_PLAINTEXT) {
    throw new PushmeshError(
      'ERR_PAYLOAD_TOO_LARGE',
      `message is ${plaintext.length} bytes as JSON; at most ${MAX_WEBPUSH_PLAINTEXT} fit in one Web Push body`,
    );
  }
  const body = encryptWebPush(plaintext, keys);
  const authorization = await signer.authorization(linkAudience(recipient.id));
  const wire: WebpushMessage = {
    id: msg.id,
    from: msg.from,
    to: recipient.id,
    ttl: msg.ttl,
    urgency: msg.urgency,
    replace: msg.replace ?? '',
    time: msg.time,
    path: [],
    via: [...(options.via ?? [])],
    hopLimit: options.hopLimit ?? DEFAULT_HOP_LIMIT,
    receipt: options.receipt ?? false,
    authorization,
    body,
  };
  wire.senderMac = options.senderMac.sign(wire, keys.p256dh);
  validateWebpushMessage(wire);
  return wire;
}
