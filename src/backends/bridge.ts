import type { Logger } from 'pino';
import type { LocalEvent } from '../bus/types.js';
import type { Message } from '../message/types.js';
import type { NodeCore } from '../core/index.js';
import type { ConfigChannel } from '../signed-config/channel.js';
import { BackendError } from '../errors/backend-error.js';
import { DeliveryQueue } from './delivery-queue.js';
import { Egress } from './egress.js';
import { CloudEventIngress } from './ingress.js';
import { BackendMetrics } from './metrics.js';
import type { BridgeRule } from './rules.js';
import type { AdapterContext, BackendAdapter, IngestResult, RawInboundEvent } from './types.js';

export interface BridgeOptions {
  core: NodeCore;
  adapters: BackendAdapter[];
  /** Export rules, in order; every matching rule exports the message once. */
  rules: BridgeRule[];
  logger: Logger;
  /** Largest inbound event, bytes. */
  maxEventBytes: number;
  /** Largest TTL given to an inbound message, seconds. */
  maxTtl: number;
}

interface Pending {
  msg: Message;
  rule: BridgeRule;
}

/**
 * Joins the node and its backends. Outbound: every message delivered to
 * this node (its local bus) that matches a rule is mapped to a
 * CloudEvent and queued for the rule's adapter — except back to the
 * backend it came from. Inbound: adapters hand raw events to the
 * ingress, which parses, validates and delivers them.
 */
export class BackendBridge {
  readonly #core: NodeCore;
  readonly #log: Logger;
  readonly #adapters = new Map<string, BackendAdapter>();
  readonly #queues = new Map<string, DeliveryQueue<Pending>>();
  readonly #rules: BridgeRule[];
  readonly #ingress: CloudEventIngress;
  readonly #egress: Egress;
  readonly #metrics: BackendMetrics;
  readonly #onPublished = (ev: LocalEvent): void => this.#export(ev.message);
  #state: 'new' | 'starting' | 'running' | 'closed' = 'new';

  constructor(opts: BridgeOptions) {
    this.#core = opts.core;
    this.#log = opts.logger.child({ component: 'backends' });
    this.#rules = opts.rules;
    this.#ingress = new CloudEventIngress({ core: opts.core, logger: this.#log, maxEventBytes: opts.maxEventBytes, maxTtl: opts.maxTtl });
    this.#egress = new Egress(opts.core.identity);
    this.#metrics = new BackendMetrics(opts.core.metrics.registry);
    for (const a of opts.adapters) {
      if (this.#adapters.has(a.name)) throw new BackendError(`two backends are named "${a.name}"`, { retryable: false });
      this.#adapters.set(a.name, a);
      this.#queues.set(a.name, this.#queueFor(a));
    }
    for (const r of this.#rules) {
      if (!this.#adapters.has(r.to)) throw new BackendError(`bridge rule for "${r.topics.source}" names backend "${r.to}", which is not configured`, { retryable: false });
    }
  }

  get adapters(): readonly BackendAdapter[] {
    return [...this.#adapters.values()];
  }

  /** Starts every adapter (all or none), then begins exporting. */
  async start(): Promise<void> {
    const ctx: AdapterContext = {
      nodeId: this.#core.identity.id,
      logger: this.#log,
      ingest: (raw, backend) => this.#ingest(raw, backend),
    };
    // Inbound events may arrive while other adapters are still starting: take them.
    this.#state = 'starting';
    const started = await Promise.allSettled(this.adapters.map((a) => a.start(ctx)));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.allSettled(this.adapters.map((a) => a.close()));
      this.#state = 'closed';
      throw failed.reason;
    }
    this.#core.bus.on('published', this.#onPublished);
    this.#state = 'running';
    this.#log.info({ backends: [...this.#adapters.keys()], rules: this.#rules.length }, 'backends running');
  }

  /** The signed-config pipes of the backends that have one. */
  configChannels(): ConfigChannel[] {
    return this.adapters.flatMap((a) => (a.configChannel ? [a.configChannel()] : []));
  }

  async #ingest(raw: RawInboundEvent, backend: string): Promise<IngestResult> {
    if (this.#state !== 'running' && this.#state !== 'starting') return { kind: 'retry', reason: 'node is shutting down' };
    return this.#ingress.ingest(raw, backend);
  }

  #export(msg: Message): void {
    // Never back to the backend it came from (the ingress notes it before the bus sees the message).
    const from = this.#ingress.originOf(msg.id);
    let exported = false;
    for (const rule of this.#rules) {
      if (rule.to === from || !rule.topics.matches(msg.topic)) continue;
      exported = true;
      if (!this.#queues.get(rule.to)!.push({ msg, rule })) {
        this.#metrics.count(rule.to, 'out', 'dropped');
        this.#core.metrics.dropped.inc({ reason: 'queue_full' });
        this.#log.warn({ backend: rule.to, msg_id: msg.id }, 'backend queue full: event dropped');
      }
    }
    // Our own event coming back from a backend is a duplicate, not a new message.
    if (exported) this.#ingress.markSeen(msg.id);
  }

  #queueFor(adapter: BackendAdapter): DeliveryQueue<Pending> {
    const backend = adapter.name;
    return new DeliveryQueue<Pending>(
      adapter.delivery,
      async (p, signal) => {
        const out = await this.#egress.toEvent(p.msg, p.rule).catch((err: unknown) => {
          throw new BackendError(`message cannot be mapped: ${(err as Error).message}`, { retryable: false, cause: err });
        });
        await adapter.publish(out, signal);
      },
      {
        delivered: () => {
          this.#metrics.count(backend, 'out', 'published');
          this.#core.metrics.messagesOut.inc({ via: 'backend' });
        },
        failed: (p, err, attempts) => {
          this.#metrics.count(backend, 'out', 'failed');
          this.#core.metrics.dropped.inc({ reason: 'backend' });
          this.#log.warn({ backend, msg_id: p.msg.id, attempts, reason: (err as Error)?.message }, 'event not delivered to backend');
        },
        retrying: (p, err, attempt, delayMs) => {
          this.#metrics.count(backend, 'out', 'retry');
          this.#log.info({ backend, msg_id: p.msg.id, attempt, delayMs, reason: (err as Error)?.message }, 'backend delivery failed; will retry');
        },
      },
    );
  }

  /** Stops exporting new messages, delivers what is queued, then drains the adapters. */
  async drain(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#core.bus.off('published', this.#onPublished);
    await Promise.all([...this.#queues.values()].map((q) => q.drain()));
    this.#state = 'closed';
    await Promise.allSettled(this.adapters.map((a) => a.drain()));
  }

  /** Stops now: queued events are dropped (counted), adapters closed. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#core.bus.off('published', this.#onPublished);
    this.#state = 'closed';
    for (const q of this.#queues.values()) q.close();
    await Promise.allSettled(this.adapters.map((a) => a.close()));
  }
}
