/**
 * Sealing and opening messages between nodes, as src/message/seal.ts
 * (sender) and the node's inbox (receiver, src/inbox/inbox.ts steps 2–6):
 *
 * - seal: plaintext JSON → RFC 8291 body to the card's keys, VAPID for
 *   `pushmesh://<to>`, the sender MAC over the routing fields and body.
 * - open: `to` is us, VAPID verifies for `pushmesh://<us>` and its key's
 *   node ID is `from`, the sender MAC verifies, the body decrypts to
 *   pushmesh JSON whose id is the id in the clear.
 *
 * Duplicates (the same sender and id again) are the caller's to drop
 * (ReplayWindow below keeps what it takes).
 */
import { recipientOf, type Card } from './card.js';
import { DecryptError, PushmeshError, VapidError, badMessage, isPushmeshError } from './errors.js';
import type { BrowserIdentity } from './identity.js';
import { DEFAULT_HOP_LIMIT, validateMessage, validateWebpushMessage, type Message, type WebpushMessage } from './message.js';
import { nodeIdOf, type NodeId } from './node-id.js';
import { decodePlaintext, encodePlaintext } from './plaintext.js';
import { SenderMacKeys } from './sender-mac.js';
import { VapidSigner, verifyVapid } from './vapid.js';
import { decryptWebPush, encryptWebPush, MAX_WEBPUSH_PLAINTEXT } from './webpush.js';

/** The VAPID `aud` of a message between nodes. */
export function linkAudience(destination: NodeId): string {
  return `pushmesh://${destination}`;
}

export interface MessageSigner {
  authorization(audience: string): Promise<string>;
}

export interface SealOptions {
  hopLimit?: number;
  receipt?: boolean;
  via?: NodeId[];
  senderMac: Pick<SenderMacKeys, 'sign'>;
}

/**
 * Encrypts `msg` to `recipient` and signs it, as the node's sealMessage.
 * Errors: ERR_BAD_MESSAGE, ERR_BAD_ARGUMENT (msg.to is not the card),
 * ERR_BAD_CARD, ERR_PAYLOAD_TOO_LARGE (plaintext JSON over 3993 bytes).
 */
export async function sealMessage(msg: Message, recipient: Card, signer: MessageSigner, options: SealOptions): Promise<WebpushMessage> {
  validateMessage(msg);
  if (msg.to !== recipient.id) throw new PushmeshError('ERR_BAD_ARGUMENT', 'message "to" is not the node ID of the card it is sealed to');
  const keys = await recipientOf(recipient);
  const plaintext = encodePlaintext(msg);
  if (plaintext.length > MAX_WEBPUSH_PLAINTEXT) {
    throw new PushmeshError('ERR_PAYLOAD_TOO_LARGE', `message is ${plaintext.length} bytes as JSON; at most ${MAX_WEBPUSH_PLAINTEXT} fit in one Web Push body`);
  }
  const body = await encryptWebPush(plaintext, keys);
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
  wire.senderMac = await options.senderMac.sign(wire, keys.p256dh);
  validateWebpushMessage(wire);
  return wire;
}

export interface OpenOptions {
  /** Clock for VAPID exp/nbf, Unix milliseconds. */
  now?: () => number;
}

/**
 * Opens a message addressed to `self`. Errors (each maps to a NACK reason,
 * nackReasonForError): ERR_BAD_MESSAGE (not for us, not pushmesh JSON, id
 * mismatch), ERR_VAPID_MISSING / ERR_VAPID_INVALID (token, audience, or
 * `from` not the token's key), ERR_BAD_SIGNATURE (no or wrong sender MAC),
 * ERR_DECRYPT.
 */
export async function openMessage(
  wire: WebpushMessage,
  self: { identity: Pick<BrowserIdentity, 'id' | 'publicKey' | 'auth' | 'ecdhKey'>; senderMac: Pick<SenderMacKeys, 'verify'> },
  opts: OpenOptions = {},
): Promise<Message> {
  const me = self.identity;
  if (wire.to !== me.id) throw badMessage('message is addressed to another node');
  let key: Uint8Array;
  try {
    ({ publicKey: key } = await verifyVapid(wire.authorization, linkAudience(me.id), opts.now ? { now: opts.now } : {}));
  } catch (err) {
    if (err instanceof VapidError) throw err;
    throw new VapidError('ERR_VAPID_INVALID', 'verification failed', { cause: err });
  }
  const keyId = await nodeIdOf(key);
  const full: WebpushMessage = wire.from === '' ? { ...wire, from: keyId } : wire;
  validateWebpushMessage(full);
  if (full.from !== keyId) throw new VapidError('ERR_VAPID_INVALID', '"from" is not the node ID of the VAPID key');
  if (full.senderMac === undefined) throw new PushmeshError('ERR_BAD_SIGNATURE', 'sender MAC missing: messages between nodes must prove their sender');
  if (!(await self.senderMac.verify(full, key))) throw new PushmeshError('ERR_BAD_SIGNATURE', 'sender MAC does not match the content');
  let plaintext: Uint8Array;
  try {
    plaintext = await decryptWebPush(full.body, { ecdhPrivateKey: me.ecdhKey, publicKey: me.publicKey, auth: me.auth });
  } catch (err) {
    if (err instanceof DecryptError) throw err;
    throw new DecryptError(isPushmeshError(err) ? err.code : 'unexpected', { cause: err });
  }
  const content = decodePlaintext(plaintext, { id: full.id, topic: '', time: full.time });
  if (content.foreign) throw badMessage('a message with a sender proof must carry pushmesh JSON');
  if (content.id !== full.id) throw badMessage('encrypted id differs from the id in the clear');
  const msg: Message = {
    id: full.id,
    from: full.from,
    to: full.to,
    topic: content.topic,
    time: content.time,
    ttl: full.ttl,
    urgency: full.urgency,
    meta: content.meta,
    data: content.data,
  };
  if (full.replace !== '') msg.replace = full.replace;
  if (content.receipt) msg.receipt = true;
  if (full.path.length > 0) msg.path = [...full.path];
  return msg;
}

/** One identity's message crypto in one object: what a link needs to seal and open. */
export interface MessageCrypto {
  identity: BrowserIdentity;
  signer: VapidSigner;
  senderMac: SenderMacKeys;
  seal(msg: Message, recipient: Card, options?: Omit<SealOptions, 'senderMac'>): Promise<WebpushMessage>;
  open(wire: WebpushMessage, opts?: OpenOptions): Promise<Message>;
}

export function messageCrypto(identity: BrowserIdentity, opts: { vapidSubject?: string; now?: () => number } = {}): MessageCrypto {
  const signer = new VapidSigner({
    privateKey: identity.signingKey,
    publicKey: identity.publicKey,
    ...(opts.vapidSubject !== undefined ? { subject: opts.vapidSubject } : {}),
    ...(opts.now !== undefined ? { now: opts.now } : {}),
  });
  const senderMac = new SenderMacKeys(identity.ecdhKey, identity.publicKey);
  return {
    identity,
    signer,
    senderMac,
    seal: (msg, recipient, options = {}) => sealMessage(msg, recipient, signer, { ...options, senderMac }),
    open: (wire, o = {}) => openMessage(wire, { identity, senderMac }, { ...(opts.now ? { now: opts.now } : {}), ...o }),
  };
}

export type ReplayVerdict = 'ok' | 'duplicate' | 'stale' | 'future';

/**
 * Duplicate suppression per sender, with the node's bounds
 * (src/inbox/replay-guard.ts): a message whose `time` is more than
 * `windowMs` (default 24 h + 10 min) old is `stale`, more than
 * `futureSkewMs` (default 5 min) ahead is `future`, an (origin, id) seen
 * before within the window is a `duplicate`. In memory only (a reloaded
 * tab starts empty), at most `max` entries (oldest dropped first).
 */
export class ReplayWindow {
  readonly #seen = new Map<string, number>();
  readonly #max: number;
  readonly #windowMs: number;
  readonly #futureSkewMs: number;
  readonly #now: () => number;

  constructor(opts: { max?: number; windowMs?: number; futureSkewMs?: number; now?: () => number } = {}) {
    this.#max = opts.max ?? 10_000;
    this.#windowMs = opts.windowMs ?? 24 * 3600_000 + 10 * 60_000;
    this.#futureSkewMs = opts.futureSkewMs ?? 5 * 60_000;
    this.#now = opts.now ?? Date.now;
  }

  /** The verdict for (sender, id) made at `time` (Unix ms); 'ok' records it. */
  check(sender: NodeId, id: string, time: number): ReplayVerdict {
    const now = this.#now();
    if (time < now - this.#windowMs) return 'stale';
    if (time > now + this.#futureSkewMs) return 'future';
    const key = `${sender}\u0000${id}`;
    const seen = this.#seen.get(key);
    if (seen !== undefined && seen >= now - this.#windowMs) return 'duplicate';
    if (seen !== undefined) this.#seen.delete(key);
    if (this.#seen.size >= this.#max) this.#seen.delete(this.#seen.keys().next().value!);
    this.#seen.set(key, time);
    return 'ok';
  }
}
