import { PushmeshError } from '../errors/index.js';
import type { Identity, NodeId } from '../identity/types.js';
import type { LinkManager } from '../links/link-manager.js';
import type { LocalBus } from '../bus/local-bus.js';
import { newMessageId, sealMessage, type SenderMacKeys } from '../message/index.js';
import type { MessageSigner } from '../message/seal.js';
import { isSystemTopic } from '../message/system-topic.js';
import type { Message } from '../message/types.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';
import type { OutboxDispatcher } from '../outbox/dispatcher.js';
import type { EnqueueResult, OutboxStore } from '../outbox/outbox-store.js';
import { encodeWebpushMessage } from '../proto/index.js';
import type { MeshRouting } from '../routing/mesh-routing.js';
import type { ReceiptDeadlines } from '../status/receipt-deadlines.js';
import type { StatusStore } from '../status/status-store.js';
import type { DeliveryBook } from './delivery-book.js';
import type { PeerDirectory } from './peer-directory.js';
import type { SystemTopics } from './system-topics.js';
import type { SendRequest, SendResult } from '../core/index.js';

export interface SenderOptions {
  identity: Identity;
  /** False once the node stops: sends are refused (ERR_UNAVAILABLE). */
  running: () => boolean;
  system: SystemTopics;
  bus: LocalBus;
  metrics: NodeMetrics;
  outbox: OutboxStore;
  dispatcher: OutboxDispatcher;
  links: LinkManager;
  peers: PeerDirectory;
  mesh: MeshRouting;
  signer: MessageSigner;
  senderMac: SenderMacKeys;
  status: StatusStore;
  deadlines: ReceiptDeadlines;
  book: DeliveryBook;
}

/**
 * The send path: an app's (or the node's own) message becomes a sealed
 * Web Push message (RFC 8291, VAPID, the sender MAC) queued in the
 * durable outbox with its delivery status — or, for this node, goes to
 * its own protocol handlers or its apps.
 */
export class Sender {
  readonly #o: SenderOptions;
  /** The last send() being sealed: the next one is accepted into the outbox after it (see send). */
  #order: Promise<void> = Promise.resolve();

  constructor(opts: SenderOptions) {
    this.#o = opts;
  }

  async send(req: SendRequest): Promise<SendResult> {
    const o = this.#o;
    if (!o.running()) throw new PushmeshError('ERR_UNAVAILABLE', 'node is shutting down');
    const msg: Message = {
      id: newMessageId(),
      from: o.identity.id,
      to: req.to,
      topic: req.topic,
      time: Date.now(),
      ttl: req.ttl,
      urgency: req.urgency,
      meta: req.meta ?? {},
      data: req.data,
    };
    if (req.replace !== undefined) msg.replace = req.replace;
    if (req.receipt) msg.receipt = true;
    o.metrics.messagesIn.inc({ via: 'local' });
    if (req.to === '' || req.to === o.identity.id) {
      if (o.system.dispatch(msg)) return { id: msg.id, status: 'local' };
      o.bus.publish(msg);
      o.metrics.messagesOut.inc({ via: 'local' });
      return { id: msg.id, status: 'local' };
    }
    // Accepted into the outbox in the order send() was called (an app's pipelined sends keep their order), whatever
    // each one waits for while it is sealed; the commit is not waited for here, so a turn's sends share it.
    const queued = this.#order.then(() => this.#sealAndAccept(msg, req));
    this.#order = queued.then(
      () => undefined,
      () => undefined,
    );
    let replaced: string | null;
    let expiresAt: number;
    const tracked = !isSystemTopic(msg.topic);
    try {
      const q = await queued;
      expiresAt = q.expiresAt;
      try {
        ({ replacedId: replaced } = await q.committed);
      } catch (err) {
        if (tracked) o.status.forget(msg.id);
        throw err;
      }
    } catch (err) {
      if (err instanceof PushmeshError && err.code === 'ERR_QUEUE_FULL') o.metrics.dropped.inc({ reason: 'queue_full' });
      if (err instanceof PushmeshError && err.code === 'ERR_STORAGE_FULL') o.metrics.dropped.inc({ reason: 'storage_full' });
      throw err;
    }
    if (replaced !== null) o.status.update(replaced, 'replaced', `replaced by ${msg.id}`);
    if (tracked && msg.receipt) o.deadlines.watch(msg.id, expiresAt);
    o.book.accepted(msg.id);
    o.dispatcher.kick();
    return { id: msg.id, status: 'queued' };
  }

  /**
   * Seals `msg` for its destination and queues it in the outbox with its
   * `queued` status (both committed with the rest of the turn's writes:
   * `committed` settles after the commit). Throws what refuses it at once
   * (no card, a jump host it cannot reach, a full outbox).
   */
  async #sealAndAccept(msg: Message, req: SendRequest): Promise<{ committed: Promise<EnqueueResult>; expiresAt: number }> {
    const o = this.#o;
    const card = o.links.cardOf(req.to) ?? (await o.peers.card(req.to));
    if (!card) {
      o.metrics.dropped.inc({ reason: 'no_route' });
      throw new PushmeshError('ERR_NOT_FOUND', `no card for node ${req.to}: add it with "pushmesh peer add"`);
    }
    if (req.via?.length) {
      const why = await this.#jumpHostProblem(req.via);
      if (why) throw new PushmeshError('ERR_BAD_ARGUMENT', why);
    }
    const wire = await sealMessage(msg, card, o.signer, { receipt: req.receipt ?? false, via: req.via ?? [], senderMac: o.senderMac });
    // TTL 0 (RFC 8030 §5.2): one immediate attempt, no retries; the grace covers that attempt.
    const expiresAt = msg.time + (msg.ttl === 0 ? 10_000 : msg.ttl * 1000);
    const committed = o.outbox.accept(
      { id: msg.id, dest: card.id, replace: msg.replace ?? null, urgency: msg.urgency, expiresAt, wire: encodeWebpushMessage(wire) },
      msg.time,
    );
    if (!isSystemTopic(msg.topic)) o.status.create(msg.id, card.id, msg.receipt ?? false, expiresAt);
    return { committed, expiresAt };
  }

  /**
   * Why `POST /msg` refuses these jump hosts (400), or null (docs/routing.md
   * "Explicit jump hosts"): this node is one of them, or it has no way at
   * all to reach the first one — no link, no route of any kind (an upstream
   * counts), no card, and no `--peer` names it. A jump host it may reach
   * later (a card is known, a configured peer, a route to a node that is
   * away) is accepted; the outbox then gives up on it after
   * `limits.jumpHostWait` of `no_route`, without holding up the messages behind.
   */
  async #jumpHostProblem(via: readonly NodeId[]): Promise<string | null> {
    const o = this.#o;
    if (via.includes(o.identity.id)) return '"via" names this node';
    const first = via[0]!;
    if (o.links.linkTo(first) || o.mesh.table.lookup(first, null).kind !== 'none') return null;
    if (o.links.dials(first) || o.links.cardOf(first) || (await o.peers.card(first))) return null;
    return `no way to reach jump host ${first}: no link, no route and no upstream, no card for it (pushmesh peer add), and no --peer names it`;
  }
}
