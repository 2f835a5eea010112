import { randomBytes } from 'node:crypto';
import type { Message, PubSub, Subscription, Topic } from '@google-cloud/pubsub';
import type { Logger } from 'pino';
import { BackendError } from '../../src/errors/backend-error.js';
import type { PubSubSettings } from '../../src/config/backends.js';
import { PushmeshError } from '../../src/errors/index.js';
import type { ConfigChannel } from '../../src/signed-config/channel.js';
import { peekConfigAddress } from '../config-address.js';
import { ensureTopic } from './resources.js';

export interface PubSubConfigChannelOptions {
  client: PubSub;
  settings: PubSubSettings;
  logger: Logger;
}

/** Pub/Sub's shortest subscription expiration: a subscriber that vanishes leaves nothing behind for long. */
const SUBSCRIPTION_EXPIRY_SECONDS = 24 * 3600;

/**
 * Signed configs on Pub/Sub. Pub/Sub keeps no "last message per key", so
 * the config topic (default `pushmesh-config`) is created with message
 * retention (default 31 days, the most Pub/Sub allows). Each subscriber
 * makes a subscription of its own and seeks it back over the retention
 * window: a late joiner receives every config published in that window
 * (the latest of each (namespace, name) among them) and keeps the newest
 * valid one; then new configs as they come. Messages carry `namespace`
 * and `name` attributes (unverified, for people looking at the topic).
 */
export class PubSubConfigChannel implements ConfigChannel {
  readonly name = 'pubsub';
  readonly #opts: PubSubConfigChannelOptions;
  readonly #open = new Set<Subscription>();
  #topic: Promise<Topic> | null = null;

  constructor(opts: PubSubConfigChannelOptions) {
    this.#opts = opts;
  }

  #configTopic(): Promise<Topic> {
    this.#topic ??= ensureTopic(this.#opts.client, this.#opts.settings.configTopic, { retentionSeconds: this.#opts.settings.configRetentionSeconds }).catch((err: unknown) => {
      this.#topic = null;
      throw new BackendError(`cannot set up the Pub/Sub config topic: ${(err as Error).message}`, { retryable: true, cause: err });
    });
    return this.#topic;
  }

  async publish(jws: string): Promise<void> {
    const at = peekConfigAddress(jws);
    if (!at) throw new PushmeshError('ERR_BAD_ARGUMENT', 'not a signed config: the JWS payload names no namespace and name');
    const topic = await this.#configTopic();
    try {
      await topic.publishMessage({ data: Buffer.from(jws, 'utf8'), attributes: { namespace: at.namespace, name: at.name } });
    } catch (err) {
      throw new BackendError(`publishing a signed config to Pub/Sub failed: ${(err as Error).message}`, { retryable: true, cause: err });
    }
  }

  async subscribe(onConfig: (jws: string) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const topic = await this.#configTopic();
    const name = `${this.#opts.settings.configTopic}-${randomBytes(8).toString('hex')}`;
    const [sub] = await topic.createSubscription(name, { expirationPolicy: { ttl: { seconds: SUBSCRIPTION_EXPIRY_SECONDS } }, ackDeadlineSeconds: 60 });
    this.#open.add(sub);
    try {
      // Replay what the topic retained: the seek must come before any message is pulled.
      await sub.seek(new Date(Date.now() - this.#opts.settings.configRetentionSeconds * 1000));
      await new Promise<void>((resolve) => {
        const done = (): void => resolve();
        signal.addEventListener('abort', done, { once: true });
        sub.on('message', (m: Message) => {
          m.ack();
          if (signal.aborted) return;
          try {
            onConfig(m.data.toString('utf8'));
          } catch (err) {
            this.#opts.logger.warn({ reason: (err as Error).message }, 'config handler failed');
          }
        });
        sub.on('error', (err: Error) => this.#opts.logger.warn({ reason: err.message }, 'Pub/Sub config subscription error'));
        sub.on('close', () => {
          signal.removeEventListener('abort', done);
          resolve();
        });
      });
    } finally {
      this.#open.delete(sub);
      await sub.close().catch(() => undefined);
      await sub.delete().catch(() => undefined);
    }
  }

  /** Ends every subscription (the adapter is closing). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#open].map((s) => s.close()));
  }
}
