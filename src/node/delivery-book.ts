import type { Logger } from 'pino';
import type { Card, NodeId } from '../identity/types.js';
import type { LocalBus } from '../bus/local-bus.js';
import type { LinkManager } from '../links/link-manager.js';
import { newMessageId } from '../message/index.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';
import type { OutboxDispatcher } from '../outbox/dispatcher.js';
import type { OutboxEntry } from '../outbox/types.js';
import type { DeliveryPin, DeliveryResult } from '../core/delivery.js';
import type { StatusStore } from '../status/status-store.js';
import { STATUS_TOPIC } from '../status/types.js';
import { type DeliveryStatus } from '../core/delivery-status.js';
import type { PeerDirectory } from './peer-directory.js';

export interface DeliveryBookOptions {
  self: NodeId;
  links: LinkManager;
  peers: PeerDirectory;
  status: StatusStore;
  bus: LocalBus;
  metrics: NodeMetrics;
  logger: Logger;
  /** Whether final states still go to the apps (not while the node stops). */
  running: () => boolean;
}

/** How many accepted messages' start times are kept for the delivery-latency histogram. */
const LATENCY_TRACKED = 100_000;

/**
 * Delivery bookkeeping of the messages this node sends: each attempt the
 * outbox makes (over a link, else HTTPS Web Push to the card), and what
 * comes of it — the message's delivery status, the counters, the
 * latency from acceptance to delivery, and final states announced to the
 * apps as `pushmesh.status` events (docs/routing.md).
 */
export class DeliveryBook {
  readonly #o: DeliveryBookOptions;
  readonly #deliveredVia = new Map<string, 'link' | 'https'>();
  readonly #acceptedAt = new Map<string, number>();

  constructor(opts: DeliveryBookOptions) {
    this.#o = opts;
    opts.status.on('change', (st) => this.#announce(st));
  }

  /** Follows what the outbox's dispatcher reports. */
  watch(dispatcher: OutboxDispatcher): void {
    const { status, metrics, peers, logger } = this.#o;
    dispatcher.on('delivered', (e) => {
      status.update(e.id, 'sent');
      metrics.messagesOut.inc({ via: this.#deliveredVia.get(e.id) ?? 'https' });
      this.#deliveredVia.delete(e.id);
      peers.countSent(e.dest);
      const t0 = this.#acceptedAt.get(e.id);
      if (t0 !== undefined) {
        metrics.deliveryLatency.observe((performance.now() - t0) / 1000);
        this.#acceptedAt.delete(e.id);
      }
    });
    dispatcher.on('expired', (e) => {
      status.update(e.id, 'expired');
      metrics.dropped.inc({ reason: 'expired' });
      this.#acceptedAt.delete(e.id);
      logger.info({ msg_id: e.id, dest: e.dest }, 'message expired before delivery');
    });
    dispatcher.on('rejected', (e, reason) => {
      status.update(e.id, 'rejected', reason);
      metrics.dropped.inc({ reason: 'rejected' });
      this.#acceptedAt.delete(e.id);
      logger.warn({ msg_id: e.id, dest: e.dest, reason }, 'message refused by destination');
    });
    dispatcher.on('retry', (e, reason, delay) => logger.debug({ msg_id: e.id, dest: e.dest, reason, delay }, 'delivery failed; will retry'));
  }

  /** A message was accepted into the outbox now (for the latency histogram). */
  accepted(id: string): void {
    this.#acceptedAt.set(id, performance.now());
    if (this.#acceptedAt.size > LATENCY_TRACKED) this.#acceptedAt.delete(this.#acceptedAt.keys().next().value!);
  }

  /** One delivery attempt of an outbox entry (the dispatcher's `deliver`): over a link to the destination if one is up, else HTTPS Web Push to its card. */
  async attempt(entry: OutboxEntry, signal: AbortSignal, pin?: DeliveryPin): Promise<DeliveryResult> {
    const { links, peers } = this.#o;
    const card = async (): Promise<Card | undefined> => links.cardOf(entry.dest) ?? (await peers.card(entry.dest));
    const { result, via } = await links.deliver(entry, card, signal, pin);
    if (result.kind === 'delivered') this.#deliveredVia.set(entry.id, via);
    return result;
  }

  /** Final states reach the apps' streams as `pushmesh.status` events. */
  #announce(st: DeliveryStatus): void {
    if (st.state === 'queued' || st.state === 'sent' || !this.#o.running()) return;
    const data: Record<string, unknown> = { id: st.id, to: st.to, state: st.state, time: st.updated };
    if (st.reason !== undefined) data['reason'] = st.reason;
    this.#o.bus.publish({ id: newMessageId(), from: this.#o.self, to: '', topic: STATUS_TOPIC, time: st.updated, ttl: 3600, urgency: 'normal', meta: { re: st.id }, data: { kind: 'json', value: data } });
  }
}
