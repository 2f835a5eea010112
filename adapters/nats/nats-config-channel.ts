import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { BackendError } from '../../src/errors/backend-error.js';
import { PushmeshError } from '../../src/errors/index.js';
import type { ConfigChannel } from '../../src/signed-config/channel.js';
import { peekConfigAddress } from '../config-address.js';
import { configStreamConfig, ensureStream } from './streams.js';
import type { NatsSubjects } from './subjects.js';

export interface NatsConfigChannelOptions {
  /** The connection, once there is one. */
  connection: () => Promise<NatsConnection>;
  subjects: NatsSubjects;
  /** JetStream stream of signed configs. */
  stream: string;
}

/**
 * Signed configs on NATS: one JetStream stream over
 * `<prefix>.config.>` that keeps one message per subject
 * (`max_msgs_per_subject: 1`), each config on
 * `<prefix>.config.<namespace>.<name>`. A subscriber reads with
 * `deliver_policy: last_per_subject`, so a late joiner gets the latest
 * config of every (namespace, name) first, then new ones as they come.
 */
export class NatsConfigChannel implements ConfigChannel {
  readonly name = 'nats';
  readonly #opts: NatsConfigChannelOptions;
  readonly #open = new Set<ConsumerMessages>();
  #ensured: Promise<void> | null = null;

  constructor(opts: NatsConfigChannelOptions) {
    this.#opts = opts;
  }

  #ensure(nc: NatsConnection): Promise<void> {
    this.#ensured ??= jetstreamManager(nc)
      .then((jsm) => ensureStream(jsm, configStreamConfig(this.#opts.stream, [this.#opts.subjects.allConfig])))
      .catch((err: unknown) => {
        this.#ensured = null;
        throw new BackendError(`cannot set up the NATS config stream: ${(err as Error).message}`, { retryable: true, cause: err });
      });
    return this.#ensured;
  }

  async publish(jws: string): Promise<void> {
    const at = peekConfigAddress(jws);
    if (!at) throw new PushmeshError('ERR_BAD_ARGUMENT', 'not a signed config: the JWS payload names no namespace and name');
    const nc = await this.#opts.connection();
    await this.#ensure(nc);
    try {
      await jetstream(nc).publish(this.#opts.subjects.config(at.namespace, at.name), Buffer.from(jws, 'utf8'));
    } catch (err) {
      throw new BackendError(`publishing a signed config to NATS failed: ${(err as Error).message}`, { retryable: true, cause: err });
    }
  }

  async subscribe(onConfig: (jws: string) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const nc = await this.#opts.connection();
    await this.#ensure(nc);
    const consumer = await jetstream(nc).consumers.get(this.#opts.stream, {
      filter_subjects: this.#opts.subjects.allConfig,
      deliver_policy: DeliverPolicy.LastPerSubject,
    });
    const messages = await consumer.consume();
    this.#open.add(messages);
    const stop = (): void => void messages.close();
    signal.addEventListener('abort', stop, { once: true });
    try {
      for await (const m of messages) {
        if (signal.aborted) break;
        try {
          onConfig(m.string());
        } catch {
          // The receiver's problem; the channel keeps delivering.
        }
      }
    } finally {
      signal.removeEventListener('abort', stop);
      this.#open.delete(messages);
    }
  }

  /** Ends every subscription (the adapter is closing). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#open].map((m) => m.close()));
  }
}
