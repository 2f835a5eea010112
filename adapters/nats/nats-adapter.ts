import { jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { BackendError } from '../../src/errors/backend-error.js';
import { DEFAULT_DELIVERY } from '../../src/backends/retry-policy.js';
import type { AdapterContext, BackendAdapter, DeliveryPolicy, IngestResult, OutboundEvent, RawInboundEvent } from '../../src/backends/types.js';
import type { NatsSettings } from '../../src/config/backends.js';
import type { ConfigChannel } from '../../src/signed-config/channel.js';
import { FlushCoalescer } from './flush-coalescer.js';
import { NatsConfigChannel } from './nats-config-channel.js';
import { decodeNatsEvent, encodeNatsEvent } from './nats-codec.js';
import { ensureDurableConsumer, ensureStream, eventStreamConfig } from './streams.js';
import { NatsSubjects } from './subjects.js';

export interface NatsAdapterOptions {
  servers: string[];
  settings: NatsSettings;
  logger: Logger;
  /** ms; default 5000. */
  connectTimeoutMs?: number;
  /** ms to wait for a JetStream PubAck; default 5000. */
  publishTimeoutMs?: number;
}

/**
 * NATS (core or JetStream) behind the backend contract. With JetStream
 * (default) events go into a stream and are read through this node's
 * durable consumers with explicit acks, so events published while the
 * node is down are delivered when it is back, each acked once the mesh
 * took it. Without JetStream: plain subjects, at most once.
 */
export class NatsAdapter implements BackendAdapter {
  readonly name = 'nats';
  readonly delivery: DeliveryPolicy = { ...DEFAULT_DELIVERY, concurrency: 256 };
  readonly subjects: NatsSubjects;
  readonly configChannel?: () => ConfigChannel;
  readonly #opts: NatsAdapterOptions;
  readonly #log: Logger;
  readonly #flusher = new FlushCoalescer();
  readonly #readers: Array<ConsumerMessages | Subscription> = [];
  readonly #loops: Promise<void>[] = [];
  readonly #ready: Promise<NatsConnection>;
  #resolveReady!: (nc: NatsConnection) => void;
  #rejectReady!: (err: unknown) => void;
  #nc: NatsConnection | null = null;
  #js: JetStreamClient | null = null;
  #channel: NatsConfigChannel | null = null;

  constructor(opts: NatsAdapterOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ backend: 'nats' });
    this.subjects = new NatsSubjects(opts.settings.subjectPrefix);
    this.#ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.#ready.catch(() => undefined);
    if (opts.settings.jetstream) {
      this.configChannel = () => (this.#channel ??= new NatsConfigChannel({ connection: () => this.#ready, subjects: this.subjects, stream: opts.settings.configStream }));
    }
  }

  /** The connection, once started (tests and benchmarks look at the server through it). */
  get connection(): NatsConnection | null {
    return this.#nc;
  }

  async start(ctx: AdapterContext): Promise<void> {
    const s = this.#opts.settings;
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: this.#opts.servers,
        name: `pushmesh-${ctx.nodeId.slice(0, 12)}`,
        timeout: this.#opts.connectTimeoutMs ?? 5000,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
      });
    } catch (err) {
      const e = new BackendError(`cannot connect to NATS at ${this.#opts.servers.join(', ')}: ${(err as Error).message}`, { retryable: false, cause: err });
      this.#rejectReady(e);
      throw e;
    }
    this.#nc = nc;
    void this.#watchStatus(nc);
    try {
      if (s.jetstream) await this.#startJetStream(nc, ctx);
      else if (s.import) this.#startCore(nc, ctx);
    } catch (err) {
      await nc.close().catch(() => undefined);
      this.#nc = null;
      const e = err instanceof BackendError ? err : new BackendError(`NATS setup failed: ${(err as Error).message}`, { retryable: false, cause: err });
      this.#rejectReady(e);
      throw e;
    }
    this.#resolveReady(nc);
    this.#log.info({ servers: this.#opts.servers, jetstream: s.jetstream, import: s.import }, 'NATS connected');
  }

  async #startJetStream(nc: NatsConnection, ctx: AdapterContext): Promise<void> {
    const s = this.#opts.settings;
    let jsm;
    try {
      jsm = await jetstreamManager(nc);
    } catch (err) {
      throw new BackendError(
        `JetStream is not available on the NATS server (${(err as Error).message}): start nats-server with -js, or set backends.nats.jetstream: false`,
        { retryable: false, cause: err },
      );
    }
    this.#js = jetstream(nc);
    await ensureStream(jsm, eventStreamConfig(s.stream, [this.subjects.allPlaintext, this.subjects.allSealed], s.maxAgeSeconds));
    if (!s.import) return;
    const base = `pushmesh-${ctx.nodeId}`;
    for (const [durable, filter] of [
      [`${base}-ce`, this.subjects.allPlaintext],
      [`${base}-sealed`, this.subjects.sealed(ctx.nodeId)],
    ] as const) {
      await ensureDurableConsumer(jsm, s.stream, durable, filter);
      const consumer = await this.#js.consumers.get(s.stream, durable);
      const messages = await consumer.consume({ max_messages: 256 });
      this.#readers.push(messages);
      this.#loops.push(this.#readJetStream(messages, ctx));
    }
  }

  async #readJetStream(messages: ConsumerMessages, ctx: AdapterContext): Promise<void> {
    try {
      for await (const m of messages) {
        const result = await this.#ingest(ctx, () => decodeNatsEvent(m));
        if (result.kind === 'retry') m.nak(1000);
        else if (result.kind === 'refused') m.term();
        else m.ack();
      }
    } catch (err) {
      this.#log.error({ reason: (err as Error).message }, 'reading from JetStream stopped');
    }
  }

  #startCore(nc: NatsConnection, ctx: AdapterContext): void {
    for (const subject of [this.subjects.allPlaintext, this.subjects.sealed(ctx.nodeId)]) {
      const sub = nc.subscribe(subject);
      this.#readers.push(sub);
      this.#loops.push(this.#readCore(sub, ctx));
    }
  }

  async #readCore(sub: Subscription, ctx: AdapterContext): Promise<void> {
    try {
      for await (const m of sub) await this.#ingest(ctx, () => decodeNatsEvent(m as Msg));
    } catch (err) {
      this.#log.error({ reason: (err as Error).message }, 'reading from NATS stopped');
    }
  }

  async #ingest(ctx: AdapterContext, raw: () => RawInboundEvent): Promise<IngestResult> {
    try {
      return await ctx.ingest(raw(), this.name);
    } catch (err) {
      this.#log.error({ err }, 'event could not be handed to the mesh');
      return { kind: 'retry', reason: (err as Error).message };
    }
  }

  async publish(out: OutboundEvent): Promise<void> {
    const nc = this.#nc;
    if (!nc || nc.isClosed()) throw new BackendError('NATS connection is closed', { retryable: true });
    const subject = out.destination ?? (out.mode === 'plaintext' ? this.subjects.plaintext(out.topic) : this.subjects.sealed(out.recipient));
    const { data, headers } = encodeNatsEvent(out, this.#opts.settings.contentMode);
    if (!this.#js) {
      nc.publish(subject, data, { headers });
      await this.#flusher.flush(nc);
      return;
    }
    try {
      await this.#js.publish(subject, data, { msgID: out.event.id, headers, timeout: this.#opts.publishTimeoutMs ?? 5000 });
    } catch (err) {
      const message = (err as Error).message;
      if (/no responders|503/i.test(message)) {
        throw new BackendError(`no JetStream stream captures subject ${subject}`, { retryable: true, cause: err });
      }
      throw new BackendError(`JetStream publish to ${subject} failed: ${message}`, { retryable: true, cause: err });
    }
  }

  async #watchStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect') this.#log.warn({ status: s.type, server: s.server }, 'NATS connection status');
    }
  }

  async #stopReading(): Promise<void> {
    for (const r of this.#readers.splice(0)) {
      if ('unsubscribe' in r) r.unsubscribe();
      else await r.close();
    }
    await Promise.allSettled(this.#loops.splice(0));
  }

  async drain(): Promise<void> {
    await this.#stopReading();
    await this.#channel?.close();
    const nc = this.#nc;
    if (nc && !nc.isClosed()) await nc.drain().catch(() => undefined);
  }

  async close(): Promise<void> {
    const nc = this.#nc;
    for (const r of this.#readers.splice(0)) {
      if ('unsubscribe' in r) r.unsubscribe();
      else void r.close();
    }
    await this.#channel?.close();
    if (nc && !nc.isClosed()) await nc.close().catch(() => undefined);
    await Promise.allSettled(this.#loops.splice(0));
  }
}
