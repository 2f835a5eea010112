/**
 * What the link and the client take from the browser core, in one place:
 * the protobuf codecs, sealing and opening (the core's, with a NACK
 * reason for each way opening fails, and the replay window), and what
 * the core has not: the tab's signed attachment to its relay.
 */
import type { Card } from './core/card.js';
import type { BrowserIdentity } from './core/identity.js';
import type { Message, WebpushMessage } from './core/message.js';
import { NACK_CODES, NACK_REASONS, nackReasonForError, type NackReason } from './core/nack.js';
import type { NodeId } from './core/node-id.js';
import { linkAudience, openMessage, sealMessage, type MessageSigner, type ReplayWindow } from './core/seal.js';
import type { SenderMacKeys } from './core/sender-mac.js';
import { decodeWebpushMessage } from './core/proto/messages.js';
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

// ---- Sealing and opening messages: the core's, with the link's NACK reasons ----

export { NACK_CODES, NACK_REASONS, type NackReason };

/** The VAPID audience of a message on links: `pushmesh://<destination ID>`. */
export { linkAudience };

/** Encrypts `msg` to `card`, signs the link VAPID token and the sender MAC (the core's sealMessage). */
export function sealForCard(
  msg: Message,
  card: Card,
  keys: { vapid: MessageSigner; mac: Pick<SenderMacKeys, 'sign'> },
  opts: { via?: NodeId[]; hopLimit?: number } = {},
): Promise<WebpushMessage> {
  return sealMessage(msg, card, keys.vapid, {
    senderMac: keys.mac,
    ...(opts.via ? { via: opts.via } : {}),
    ...(opts.hopLimit !== undefined ? { hopLimit: opts.hopLimit } : {}),
    ...(msg.receipt ? { receipt: true } : {}),
  });
}

export type Opened =
  | { ok: true; wire: WebpushMessage; message: Message; duplicate: false }
  | { ok: true; wire: WebpushMessage; duplicate: true }
  | { ok: false; reason: NackReason; detail: string };

/**
 * A message that came over the link for this tab: decoded, opened by the
 * core (for this node, VAPID for `pushmesh://<own id>`, `from` = the
 * token's key, sender MAC, decryption, pushmesh JSON with the same id),
 * then the replay window (a copy of one taken already is accepted and
 * dropped; one too old or too far ahead is `bad_message`). Every failure
 * is a NACK reason; never throws.
 */
export async function openForSelf(
  bytes: Uint8Array,
  self: Pick<BrowserIdentity, 'id' | 'publicKey' | 'auth' | 'ecdhKey'>,
  mac: Pick<SenderMacKeys, 'verify'>,
  replay: ReplayWindow,
): Promise<Opened> {
  let wire: WebpushMessage;
  let message: Message;
  try {
    wire = decodeWebpushMessage(bytes);
    // A tab relays nothing: a message for another node is not for it to route.
    if (wire.to !== self.id) return { ok: false, reason: 'no_route', detail: 'not for this node' };
    message = await openMessage(wire, { identity: self, senderMac: mac });
  } catch (err) {
    return { ok: false, reason: nackReasonForError(err) ?? 'bad_message', detail: (err as Error).message };
  }
  switch (replay.check(wire.from, wire.id, wire.time)) {
    case 'duplicate':
      return { ok: true, wire, duplicate: true };
    case 'stale':
    case 'future':
      return { ok: false, reason: 'bad_message', detail: 'time outside the replay window' };
    default:
      return { ok: true, wire, message, duplicate: false };
  }
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
