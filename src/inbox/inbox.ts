import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { DecryptError, PushmeshError, VapidError, isPushmeshError } from '../errors/index.js';
import { RefusalLog } from '../errors/refusal-log.js';
import { nodeIdFromPublicKey } from '../identity/node-id.js';
import type { NodeId } from '../identity/types.js';
import { badMessage } from '../message/bad-message.js';
import { linkAudience } from '../message/link-audience.js';
import { decodePlaintext } from '../message/plaintext.js';
import type { SenderMacKeys } from '../message/sender-mac.js';
import type { Message, WebpushMessage } from '../message/types.js';
import { validateWebpushMessage } from '../message/validate.js';
import { nackReasonForError } from '../proto/status.js';
import type { InboundMessage } from '../transport/types.js';
import { toBase64Url } from '../util/base64url.js';
import type { VapidVerifier, WebPushDecrypter } from '../webpush/index.js';
import type { ReplayCheck, SenderPolicy } from './types.js';
import type { Inbound, InboundVia, InboxResult } from '../core/inbound.js';

const NO_OPTIONS = {};
/** Senders whose node ID is remembered (the map starts again when full: a cache, never a bound on senders). */
const MAX_KEY_IDS = 10_000;

/** Topic given to messages from plain Web Push senders (DESIGN "Messages"). */
export const WEBPUSH_TOPIC = 'webpush';

export interface InboxOptions {
  self: NodeId;
  decrypter: Pick<WebPushDecrypter, 'decrypt'>;
  verifier: Pick<VapidVerifier, 'verify'>;
  /** Checks the per-message sender proof (static-static ECDH MAC, docs/wire-format.md "Sender MAC"). */
  senderMac: Pick<SenderMacKeys, 'verify'>;
  /** Per-sender duplicate and freshness check (ReplayGuard). */
  replay: ReplayCheck;
  /** Deny/allow lists, applied to the authenticated sender. */
  policy?: () => SenderPolicy | null;
  /**
   * A verified, new message for this node: to its protocol handlers or its
   * apps. A promise settles when the message is held for the apps (on
   * disk): only then is it acknowledged; a rejection (ERR_STORAGE_FULL) is
   * the sender's refusal, and it sends the message again.
   */
  deliver: (msg: Message, via: InboundVia) => void | Promise<unknown>;
  /** A message on a link for another node (mesh routing); without it, refused `no_route`. */
  relay?: (m: InboundMessage) => Promise<void>;
  /** A message was refused (metrics). */
  refused?: (via: InboundVia, result: Extract<InboxResult, { kind: 'refused' }>) => void;
  logger: Logger;
  now?: () => number;
}

/**
 * The one way into a node (docs/security.md "The inbound path"). Every
 * message addressed to this node — from a gRPC or WebSocket link, HTTPS
 * Web Push, a relay, the NATS fabric (through the relay's link) or a
 * CloudEvents backend — goes through `accept`, in this order:
 *
 * 1. bounds, and `to` is this node;
 * 2. VAPID admission (RFC 8292) for one of the path's own audiences —
 *    a bearer credential: it admits, it proves nothing about authorship;
 * 3. the sender proof: a MAC only the holder of the key in the token
 *    (or this node) can make, over id, from, to, replace, time and the
 *    encrypted body; without one, a plain Web Push sender (HTTPS only),
 *    reported with `from` '' and its key as `unverifiedSender`;
 * 4. the access lists, by the proved sender;
 * 5. the replay window, per sender (duplicates answered as accepted, not
 *    delivered again; too old or from the future refused);
 * 6. decryption, and the encrypted id equal to the clear one;
 *
 * then hands the message on. Links call `onLink`, which also sends
 * messages for other nodes to the router (relays check what they can:
 * hop, VAPID admission, TTL, hop limit; they cannot check the proof).
 */

export class Inbox {
  readonly #o: InboxOptions;
  readonly #now: () => number;
  /** Messages being handed on now (`sender NUL id`): a copy that comes meanwhile gets the first one's outcome. */
  readonly #inFlight = new Map<string, Promise<InboxResult>>();
  readonly #refusals: RefusalLog;
  /** Node IDs of the VAPID keys seen, by key (base64url); cleared when it reaches MAX_KEY_IDS. */
  readonly #keyIds = new Map<string, NodeId>();

  constructor(opts: InboxOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    this.#refusals = new RefusalLog(opts.logger);
  }

  /** Entry for links: a message for this node is accepted and ACKed or NACKed; one for another node goes to the router. */
  readonly onLink = async (m: InboundMessage): Promise<void> => {
    if (m.wire.to !== this.#o.self) {
      if (this.#o.relay) return this.#o.relay(m);
      this.#o.refused?.('link', { kind: 'refused', reason: 'no_route', error: new PushmeshError('ERR_NOT_FOUND', 'this node does not relay') });
      m.nack('no_route');
      return;
    }
    const peer = m.link.peer;
    const r = await this.accept({
      wire: m.wire,
      via: 'link',
      hop: { id: peer.id, caSigned: peer.caSigned ?? false, direction: m.link.direction },
      audiences: [linkAudience(this.#o.self)],
    });
    if (r.kind === 'refused') m.nack(r.reason);
    else m.ack();
  };

  async accept(inb: Inbound): Promise<InboxResult> {
    try {
      return await this.#accept(inb);
    } catch (err) {
      const error = isPushmeshError(err) ? err : new PushmeshError('ERR_BAD_MESSAGE', 'message could not be handled', { cause: err });
      const result = { kind: 'refused' as const, reason: nackReasonForError(error) ?? 'bad_message', error };
      if (!isPushmeshError(err)) this.#o.logger.error({ err }, 'unexpected error on the inbound path');
      // Counted always (refused); logged once per interval per path and reason: a flood of forgeries must not flood the log.
      this.#refusals.note('info', `${inb.via}:${result.reason}`, 'refused an inbound message', {
        via: inb.via,
        hop: inb.hop?.id,
        from: inb.wire.from || undefined,
        msg_id: inb.wire.id,
        nack: result.reason,
        detail: error.message,
      });
      this.#o.refused?.(inb.via, result);
      return result;
    }
  }

  async #accept(inb: Inbound): Promise<InboxResult> {
    const o = this.#o;
    const wire = inb.wire;
    if (wire.to !== o.self) throw badMessage('message is addressed to another node');

    // 2. Admission. A token made for a node (aud pushmesh://<id>) comes only with a proof: without one, a relay that carried
    // it could pair it with a body of its own. A plain Web Push sender's token names this node's https origin.
    const audiences = wire.senderMac === undefined && inb.allowUnverified ? inb.audiences.filter((a) => a !== linkAudience(o.self)) : inb.audiences;
    let key: Buffer;
    let keyText: string;
    try {
      const verified = await o.verifier.verify(wire.authorization, audiences, inb.vapidAt !== undefined ? { at: inb.vapidAt } : NO_OPTIONS);
      key = verified.publicKey;
      keyText = verified.keyText ?? toBase64Url(key);
    } catch (err) {
      if (err instanceof VapidError) throw err;
      throw new VapidError('ERR_VAPID_INVALID', 'verification failed', { cause: err });
    }
    const keyId = this.#nodeIdOf(key, keyText);
    const full: WebpushMessage = wire.from === '' ? { ...wire, from: keyId } : wire;
    validateWebpushMessage(full);
    if (full.from !== keyId) throw new VapidError('ERR_VAPID_INVALID', '"from" is not the node ID of the VAPID key');

    // 3. Sender proof.
    const proved = full.senderMac !== undefined;
    if (proved) {
      if (!o.senderMac.verify(full, key)) throw new PushmeshError('ERR_BAD_SIGNATURE', 'sender MAC does not match the content');
    } else if (!inb.allowUnverified) {
      throw new PushmeshError('ERR_BAD_SIGNATURE', 'sender MAC missing: messages between nodes must prove their sender');
    }

    // 4. Access lists, by the proved sender (a plain Web Push sender is no node: only the deny list can name its key's ID).
    const policy = o.policy?.() ?? null;
    if (policy) {
      const direct = inb.hop?.id === keyId;
      const decision = proved
        ? policy.check({ id: keyId, caSigned: direct ? inb.hop!.caSigned : false, direction: direct ? inb.hop!.direction : 'inbound' })
        : policy.check({ id: keyId, caSigned: false, direction: 'inbound' });
      if (!decision.ok) throw new PushmeshError('ERR_FORBIDDEN', `sender refused: ${decision.message}`);
    }

    // 5. Replay window, per sender. A plain Web Push body has no id or time in the clear: its ciphertext digest and arrival stand in.
    const now = this.#now();
    const replayId = proved ? full.id : bodyDigest(full.body);
    const replaySender = proved ? keyId : `vapid:${keyText}`;
    const replay = { sender: replaySender, id: replayId, time: proved ? full.time : now };
    const verdict = o.replay.check(replay.sender, replay.id, replay.time);
    const flightKey = `${replaySender}\u0000${replayId}`;
    if (!verdict.ok) {
      if (verdict.reason !== 'duplicate') throw badMessage(verdict.reason === 'stale' ? 'message is older than the replay window' : 'message time is in the future');
      // A copy of one still being stored: its answer is the first one's (never an ACK for what may yet fail to be stored).
      const first = this.#inFlight.get(flightKey);
      const r = first ? await first : undefined;
      if (r?.kind === 'refused') throw r.error;
      return { kind: 'duplicate', id: full.id };
    }
    let settle!: (r: InboxResult) => void;
    this.#inFlight.set(flightKey, new Promise((res) => (settle = res)));
    try {
      const r = await this.#open(full, inb, proved ? null : keyText, replay, now);
      settle(r);
      return r;
    } catch (err) {
      settle({ kind: 'refused', reason: nackReasonForError(err) ?? 'bad_message', error: isPushmeshError(err) ? err : new PushmeshError('ERR_BAD_MESSAGE', 'message could not be handled', { cause: err }) });
      throw err;
    } finally {
      this.#inFlight.delete(flightKey);
    }
  }

  /**
   * The node ID of a VAPID key (SHA-256 and base32), remembered per key: a
   * sender's messages all come with the same key. `keyText` (the key as
   * base64url, from the verifier) is the map key.
   */
  #nodeIdOf(key: Buffer, keyText: string): NodeId {
    let id = this.#keyIds.get(keyText);
    if (id === undefined) {
      try {
        id = nodeIdFromPublicKey(key);
      } catch (cause) {
        throw new VapidError('ERR_VAPID_INVALID', 'VAPID key is not a P-256 public key', { cause });
      }
      if (this.#keyIds.size >= MAX_KEY_IDS) this.#keyIds.clear();
      this.#keyIds.set(keyText, id);
    }
    return id;
  }

  /** Steps 6 and on: decryption, the plaintext, the hand-off (`plainKey`: a plain Web Push sender's VAPID key as base64url; null when proved). */
  async #open(full: WebpushMessage, inb: Inbound, plainKey: string | null, replay: { sender: string; id: string; time: number }, now: number): Promise<InboxResult> {
    const o = this.#o;
    // 6. Decryption.
    let plaintext: Uint8Array;
    try {
      plaintext = o.decrypter.decrypt(full.body);
    } catch (err) {
      if (err instanceof DecryptError) throw err;
      throw new DecryptError(isPushmeshError(err) ? err.code : 'unexpected', { cause: err });
    }
    const msg = plainKey === null ? this.#proved(full, plaintext) : this.#unverified(full, plaintext, plainKey, now);
    try {
      await o.deliver(msg, inb.via);
    } catch (err) {
      // Not held (a full store): no ACK, so the sender sends it again, and that copy is new (in memory and on disk; docs/node.md "A full disk").
      if (isPushmeshError(err) && err.code === 'ERR_STORAGE_FULL') o.replay.retract?.(replay.sender, replay.id, replay.time);
      throw err;
    }
    return { kind: 'delivered', id: msg.id, msg };
  }

  #proved(wire: WebpushMessage, plaintext: Uint8Array): Message {
    const content = decodePlaintext(plaintext, { id: wire.id, topic: '', time: wire.time });
    if (content.foreign) throw badMessage('a message with a sender proof must carry pushmesh JSON');
    if (content.id !== wire.id) throw badMessage('encrypted id differs from the id in the clear');
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
    if (content.receipt) msg.receipt = true;
    if (wire.path.length > 0) msg.path = [...wire.path];
    return msg;
  }

  /** A plain Web Push sender: its whole payload on topic `webpush`, never a node's `from`, never a system topic or a receipt. */
  #unverified(wire: WebpushMessage, plaintext: Uint8Array, keyText: string, now: number): Message {
    const content = decodePlaintext(plaintext, { id: wire.id, topic: WEBPUSH_TOPIC, time: now }, { foreignOnly: true });
    const msg: Message = {
      id: wire.id,
      from: '',
      to: wire.to,
      topic: WEBPUSH_TOPIC,
      time: now,
      ttl: wire.ttl,
      urgency: wire.urgency,
      meta: {},
      data: content.data,
      unverifiedSender: keyText,
    };
    if (wire.replace !== '') msg.replace = wire.replace;
    return msg;
  }
}

function bodyDigest(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('base64url').slice(0, 32);
}
