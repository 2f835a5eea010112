/**
 * What the link and the client need beyond the browser core's API: the
 * protobuf codecs they use (re-exported from src/browser/core/proto/),
 * sealing to a card and opening a message for this tab with a NACK
 * reason for each way it can fail (the core's sealMessage/openMessage
 * came later and throw instead), the duplicate filter, and the tab's
 * signed attachment to its relay.
 */
import { recipientOf, type Card } from './core/card.js';
import { PushmeshError, isPushmeshError } from './core/errors.js';
import type { BrowserIdentity } from './core/identity.js';
import { validateMessage, validateWebpushMessage, DEFAULT_HOP_LIMIT, type Message, type WebpushMessage } from './core/message.js';
import { nodeIdOf, type NodeId } from './core/node-id.js';
import { decodePlaintext, encodePlaintext, type DecodedPlaintext } from './core/plaintext.js';
import type { SenderMacKeys } from './core/sender-mac.js';
import { verifyVapid, type VapidSigner } from './core/vapid.js';
import { decryptWebPush, encryptWebPush, MAX_WEBPUSH_PLAINTEXT } from './core/webpush.js';
import { decodeWebpushMessage as decodeWire } from './core/proto/messages.js';
import { concatBytes, toBase64, utf8 } from './core/bytes.js';
import { ecdsaSign } from './core/crypto.js';
import { ProtoWriter } from './core/proto/wire.js';

export {
  NODE_CARD_TYPE_URL,
  STATUS_TYPE_URL,
  WEBPUSH_MESSAGE_TYPE_URL,
  decodeDiscoveryResponse,
  decodeNodeCard,
  decodeStatus,
  decodeWebpushMessage,
  encodeDiscoveryRequest,
  encodeStatus,
  encodeWebpushMessage,
  type Any,
  type DiscoveryResponse,
} from './core/proto/messages.js';

// ---- Sealing and opening messages (what src/message/seal.ts and the node's inbound path do) ----

/** Reasons a receiver gives for refusing a message (docs/transports.md "ACK, NACK and reasons"). */
export const NACK_REASONS = ['unauthorized', 'bad_signature', 'too_large', 'no_route', 'queue_full', 'hop_limit', 'bad_message', 'storage_full'] as const;
export type NackReason = (typeof NACK_REASONS)[number];

/** The VAPID audience of a message on links: `pushmesh://<destination ID>`. */
export function linkAudience(to: NodeId): string {
  return `pushmesh://${to}`;
}

/**
 * Encrypts `msg` to `card` (RFC 8291), signs the link VAPID token and
 * the sender MAC: the WebpushMessage a node would make of it.
 */
export async function sealForCard(
  msg: Message,
  card: Card,
  keys: { vapid: Pick<VapidSigner, 'authorization'>; mac: Pick<SenderMacKeys, 'sign'> },
  opts: { via?: NodeId[]; hopLimit?: number } = {},
): Promise<WebpushMessage> {
  validateMessage(msg);
  if (msg.to !== card.id) throw new PushmeshError('ERR_BAD_ARGUMENT', 'message "to" is not the node ID of the card it is sealed to');
  const recipient = await recipientOf(card);
  const plaintext = encodePlaintext({ id: msg.id, topic: msg.topic, time: msg.time, meta: msg.meta, data: msg.data, ...(msg.receipt ? { receipt: true } : {}) });
  if (plaintext.length > MAX_WEBPUSH_PLAINTEXT) {
    throw new PushmeshError('ERR_PAYLOAD_TOO_LARGE', `message is ${plaintext.length} bytes as JSON; at most ${MAX_WEBPUSH_PLAINTEXT} fit in one Web Push body`);
  }
  const wire: WebpushMessage = {
    id: msg.id,
    from: msg.from,
    to: card.id,
    ttl: msg.ttl,
    urgency: msg.urgency,
    replace: msg.replace ?? '',
    time: msg.time,
    path: [],
    via: [...(opts.via ?? [])],
    hopLimit: opts.hopLimit ?? DEFAULT_HOP_LIMIT,
    receipt: msg.receipt ?? false,
    authorization: await keys.vapid.authorization(linkAudience(card.id)),
    body: await encryptWebPush(plaintext, recipient),
  };
  wire.senderMac = await keys.mac.sign(wire, recipient.p256dh);
  validateWebpushMessage(wire);
  return wire;
}

/** How far back and ahead a message's `time` may be (the node's replay window, docs/wire-format.md). */
export const REPLAY_WINDOW_MS = (24 * 60 + 10) * 60_000;
export const MAX_FUTURE_MS = 5 * 60_000;

export type Opened =
  | { ok: true; wire: WebpushMessage; plaintext: DecodedPlaintext; duplicate: false }
  | { ok: true; wire: WebpushMessage; duplicate: true }
  | { ok: false; reason: NackReason; detail: string };

/** Remembers (origin, id) pairs already delivered: a copy is accepted and dropped. */
export class SeenIds {
  readonly #seen = new Map<string, number>();
  readonly #max: number;
  constructor(max = 10_000) {
    this.#max = max;
  }
  has(from: string, id: string): boolean {
    return this.#seen.has(`${from}/${id}`);
  }
  add(from: string, id: string, time: number): void {
    const k = `${from}/${id}`;
    if (this.#seen.has(k)) return;
    if (this.#seen.size >= this.#max) this.#seen.delete(this.#seen.keys().next().value!);
    this.#seen.set(k, time);
  }
}

/**
 * A message that came over the link for this tab, checked in the order
 * of the node's inbound path (docs/wire-format.md): for this node, VAPID
 * for `pushmesh://<own id>`, `from` = the token's key, the sender MAC,
 * the replay window, decryption, the plaintext's `id`. Never throws.
 */
export async function openForSelf(
  bytes: Uint8Array,
  self: Pick<BrowserIdentity, 'id' | 'publicKey' | 'auth' | 'ecdhKey'>,
  mac: Pick<SenderMacKeys, 'verify'>,
  seen: SeenIds,
  now: number = Date.now(),
): Promise<Opened> {
  let wire: WebpushMessage;
  try {
    wire = decodeWire(bytes);
    validateWebpushMessage(wire);
  } catch (err) {
    const tooLarge = isPushmeshError(err) && err.cause instanceof PushmeshError && err.cause.code === 'ERR_PAYLOAD_TOO_LARGE';
    const noAuth = isPushmeshError(err) && err.cause instanceof PushmeshError && err.cause.code === 'ERR_VAPID_MISSING';
    return { ok: false, reason: tooLarge ? 'too_large' : noAuth ? 'unauthorized' : 'bad_message', detail: (err as Error).message };
  }
  // A tab relays nothing: a message for another node is not for it to route.
  if (wire.to !== self.id) return { ok: false, reason: 'no_route', detail: 'not for this node' };
  let key: Uint8Array;
  try {
    key = (await verifyVapid(wire.authorization, linkAudience(self.id))).publicKey;
  } catch (err) {
    const missing = isPushmeshError(err) && err.code === 'ERR_VAPID_MISSING';
    return { ok: false, reason: missing ? 'unauthorized' : 'bad_signature', detail: (err as Error).message };
  }
  if ((await nodeIdOf(key)) !== wire.from) return { ok: false, reason: 'bad_signature', detail: 'from is not the node ID of the VAPID key' };
  let macOk = false;
  try {
    macOk = await mac.verify(wire, key);
  } catch {
    macOk = false;
  }
  if (!macOk) return { ok: false, reason: 'bad_signature', detail: 'sender MAC missing or wrong' };
  if (seen.has(wire.from, wire.id)) return { ok: true, wire, duplicate: true };
  if (wire.time < now - REPLAY_WINDOW_MS || wire.time > now + MAX_FUTURE_MS) return { ok: false, reason: 'bad_message', detail: 'time outside the replay window' };
  let plain: Uint8Array;
  try {
    plain = await decryptWebPush(wire.body, { ecdhPrivateKey: self.ecdhKey, publicKey: self.publicKey, auth: self.auth });
  } catch {
    return { ok: false, reason: 'bad_message', detail: 'does not decrypt' };
  }
  const plaintext = decodePlaintext(plain, { id: wire.id, topic: 'webpush', time: wire.time });
  if (!plaintext.foreign && plaintext.id !== wire.id) return { ok: false, reason: 'bad_message', detail: 'the encrypted id is not the message id' };
  seen.add(wire.from, wire.id, wire.time);
  return { ok: true, wire, plaintext, duplicate: false };
}

// ---- The tab's attachment to its relay (docs/routing.md "Signed route announcements") ----

/** The reserved topic of route announcements. */
export const ROUTES_TOPIC = 'pushmesh.routes';
/** Longest life of an attachment (a node re-signs while it stays attached). */
export const MAX_ATTACHMENT_TTL_MS = 24 * 3600 * 1000;

/** The bytes an attachment signs: "pushmesh attachment v1" 0x00 ‖ len16(N) ‖ N ‖ len16(R) ‖ R ‖ T (uint64 BE). */
export function attachmentSignedBytes(node: NodeId, relay: NodeId, expires: number): Uint8Array {
  const n = utf8(node);
  const r = utf8(relay);
  const tail = new Uint8Array(8);
  new DataView(tail.buffer).setBigUint64(0, BigInt(expires));
  const len = (x: Uint8Array): Uint8Array => new Uint8Array([x.length >> 8, x.length & 0xff]);
  return concatBytes(utf8('pushmesh attachment v1\0'), len(n), n, len(r), r, tail);
}

/**
 * "This tab is reachable through `relay` until `expires`", signed with
 * the tab's key, as a full RouteAnnouncement (one route: the tab's own
 * attachment; generation 0, applied as it comes), standard base64 for
 * the `{"v":1,"announcement":…}` data of a `pushmesh.routes` message.
 * With it the relay announces the tab to its own upstreams, so nodes
 * beyond the relay can reach the tab.
 */
export async function attachmentAnnouncement(identity: Pick<BrowserIdentity, 'id' | 'publicKey' | 'signingKey'>, relay: NodeId, expires: number): Promise<string> {
  const signature = await ecdsaSign(identity.signingKey, attachmentSignedBytes(identity.id, relay, expires));
  const attachment = new ProtoWriter().string(1, identity.id).string(2, relay).int(3, expires).bytes(4, identity.publicKey).bytes(5, signature).finish();
  const route = new ProtoWriter().lenAlways(1, attachment).finish();
  return toBase64(new ProtoWriter().lenAlways(1, route).bool(2, true).finish());
}
