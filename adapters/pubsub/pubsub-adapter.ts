import { PubSub, type Message, type Subscription, type Topic } from '@google-cloud/pubsub';
import type { Logger } from 'pino';
import { BackendError } from '../../src/errors/backend-error.js';
import { DEFAULT_DELIVERY } from '../../src/backends/retry-policy.js';
import type { AdapterContext, BackendAdapter, DeliveryPolicy, IngestResult, OutboundEvent } from '../../src/backends/types.js';
import type { PubSubSettings } from '../../src/config/backends.js';
import type { ConfigChannel } from '../../src/signed-config/channel.js';
import { pubSubClientOptions } from './client-options.js';
import { PubSubConfigChannel } from './pubsub-config-channel.js';
import { decodePubSubEvent, encodePubSubEvent } from './pubsub-codec.js';
import { ensureSubscription, ensureTopic } from './resources.js';

export interface PubSubAdapterOptions {
  projectId: string;
  settings: PubSubSettings;
  logger: Logger;
  /** A client to use instead of a new one (tests); closed by the adapter. */
  client?: PubSub;
}

/** gRPC codes worth retrying: CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE. */
const RETRYABLE = new Set([1, 4, 8, 10, 13, 14]);

/**
 * Google Cloud Pub/Sub behind the backend contract (the emulator when
 * PUBSUB_EMULATOR_HOST is set). Events go to one topic (default
 * `pushmesh-events`, created on demand) as binary-mode `ce-` attributes;
 * this node reads its own subscription on it (default
 * `pushmesh-<node id>`, created on demand) and acks a message only once
 * the mesh took it (nack → redelivery otherwise).
 */
export class PubSubAdapter implements BackendAdapter {
  readonly name = 'pubsub';
  readonly delivery: DeliveryPolicy = { ...DEFAULT_DELIVERY, concurrency: 512 };
  readonly #opts: PubSubAdapterOptions;
  readonly #log: Logger;
  readonly #client: PubSub;
  readonly #topics = new Map<string, Promise<Topic>>();
  readonly #inflight = new Set<Promise<unknown>>();
  #subscription: Subscription | null = null;
  #channel: PubSubConfigChannel | null = null;
  #accepting = false;

  constructor(opts: PubSubAdapterOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ backend: 'pubsub' });
    this.#client = opts.client ?? new PubSub(pubSubClientOptions(opts.projectId));
  }

  /** The client (tests and benchmarks use it to look at the emulator). */
  get client(): PubSub {
    return this.#client;
  }

  /** This node's subscription name. */
  subscriptionName(nodeId: string): string {
    return this.#opts.settings.subscription ?? `pushmesh-${nodeId}`;
  }

  async start(ctx: AdapterContext): Promise<void> {
    const s = this.#opts.settings;
    try {
      const topic = await this.#topic(s.topic);
      if (s.import) {
        const sub = await ensureSubscription(topic, this.subscriptionName(ctx.nodeId), { ackDeadlineSeconds: 60 });
        sub.setOptions({ flowControl: { maxMessages: 1000, allowExcessMessages: false } });
        this.#accepting = true;
        sub.on('message', (m: Message) => this.#track(this.#receive(m, ctx)));
        sub.on('error', (err: Error) => this.#log.warn({ reason: err.message }, 'Pub/Sub subscription error'));
        this.#subscription = sub;
      }
    } catch (err) {
      throw new BackendError(`cannot set up Pub/Sub project ${this.#opts.projectId}: ${(err as Error).message}`, { retryable: false, cause: err });
    }
    this.#log.info({ project: this.#opts.projectId, topic: s.topic, emulator: process.env['PUBSUB_EMULATOR_HOST'] ?? null }, 'Pub/Sub ready');
  }

  #track(p: Promise<unknown>): void {
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  async #receive(m: Message, ctx: AdapterContext): Promise<void> {
    if (!this.#accepting) {
      m.nack();
      return;
    }
    let result: IngestResult;
    try {
      result = await ctx.ingest(decodePubSubEvent(m.data, m.attributes), this.name);
    } catch (err) {
      this.#log.error({ err }, 'event could not be handed to the mesh');
      result = { kind: 'retry', reason: (err as Error).message };
    }
    if (result.kind === 'retry') m.nack();
    else m.ack();
  }

  #topic(name: string): Promise<Topic> {
    let t = this.#topics.get(name);
    if (!t) {
      t = ensureTopic(this.#client, name).then((topic) => {
        topic.setPublishOptions({ batching: { maxMessages: 500, maxMilliseconds: 5 } });
        return topic;
      });
      t.catch(() => this.#topics.delete(name));
      this.#topics.set(name, t);
    }
    return t;
  }

  async publish(out: OutboundEvent): Promise<void> {
    const name = out.destination ?? this.#opts.settings.topic;
    const { data, attributes } = encodePubSubEvent(out, this.#opts.settings.contentMode);
    try {
      const topic = await this.#topic(name);
      await topic.publishMessage({ data, attributes });
    } catch (err) {
      const c = (err as { code?: number }).code;
      throw new BackendError(`Pub/Sub publish to ${name} failed: ${(err as Error).message}`, { retryable: c === undefined || RETRYABLE.has(c), cause: err });
    }
  }

  /**
   * Closes the subscription's streaming pulls. First lets the calls the
   * client started in this turn of the event loop reach the wire: grpc-js
   * (1.14) starts a call cancelled before its metadata was sent anyway,
   * and such a stream pull stays open, unread, while the process lives —
   * the server leases messages to it that come back only after the ack
   * deadline (docs/backends.md, "Google Pub/Sub"). That happens to a node
   * stopped just after it started.
   */
  async #closeSubscription(): Promise<void> {
    const sub = this.#subscription;
    if (!sub) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    await sub.close().catch(() => undefined);
  }

  configChannel(): ConfigChannel {
    return (this.#channel ??= new PubSubConfigChannel({ client: this.#client, settings: this.#opts.settings, logger: this.#log }));
  }

  async drain(): Promise<void> {
    this.#accepting = false;
    await Promise.allSettled([...this.#inflight]);
    await this.#closeSubscription();
    await this.#channel?.close();
    for (const t of this.#topics.values()) await t.then((topic) => topic.flush()).catch(() => undefined);
    await this.#client.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.#accepting = false;
    await this.#closeSubscription();
    await this.#channel?.close();
    await this.#client.close().catch(() => undefined);
  }
}
