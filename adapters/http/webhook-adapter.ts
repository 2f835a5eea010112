import type { Logger } from 'pino';
import { BackendError } from '../../src/errors/backend-error.js';
import { DEFAULT_DELIVERY } from '../../src/backends/retry-policy.js';
import type { BackendAdapter, DeliveryPolicy, OutboundEvent } from '../../src/backends/types.js';
import type { WebhookSettings } from '../../src/config/backends.js';
import { encodeHttpEvent, retryAfterMs } from './http-codec.js';

export interface WebhookAdapterOptions {
  settings: WebhookSettings;
  logger: Logger;
  /** fetch to use (tests); default the global one. */
  fetch?: typeof fetch;
}

/**
 * An HTTP CloudEvents sink (a webhook): every event is POSTed to the URL,
 * binary mode by default. A 2xx answer is success; 408, 429 and 5xx
 * answers, timeouts and network errors are retried with exponential
 * backoff (honouring Retry-After); other 4xx answers are final. Inbound
 * HTTP events arrive on the local API's POST /ce instead.
 */
export class WebhookAdapter implements BackendAdapter {
  readonly name: string;
  readonly delivery: DeliveryPolicy;
  readonly #settings: WebhookSettings;
  readonly #log: Logger;
  readonly #fetch: typeof fetch;

  constructor(opts: WebhookAdapterOptions) {
    const s = opts.settings;
    this.name = s.name;
    this.#settings = s;
    this.#log = opts.logger.child({ backend: 'webhook', sink: s.name });
    this.#fetch = opts.fetch ?? fetch;
    this.delivery = {
      ...DEFAULT_DELIVERY,
      concurrency: s.concurrency,
      maxAttempts: s.maxAttempts,
      initialBackoffMs: s.initialBackoffMs,
      maxBackoffMs: s.maxBackoffMs,
    };
  }

  async start(): Promise<void> {
    this.#log.info({ url: redact(this.#settings.url), contentMode: this.#settings.contentMode }, 'webhook sink ready');
  }

  async publish(out: OutboundEvent, signal: AbortSignal): Promise<void> {
    const { headers, body } = encodeHttpEvent(out.event, this.#settings.contentMode);
    let res: Response;
    try {
      res = await this.#fetch(this.#settings.url, {
        method: 'POST',
        headers: { 'user-agent': 'pushmesh', ...this.#settings.headers, ...headers },
        body,
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.#settings.timeoutMs)]),
      });
    } catch (err) {
      throw new BackendError(`webhook ${redact(this.#settings.url)} unreachable: ${(err as Error).message}`, { retryable: true, cause: err });
    }
    await res.body?.cancel().catch(() => undefined);
    if (res.ok) return;
    const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
    const opts: { retryable: boolean; retryAfterMs?: number } = { retryable };
    const after = retryAfterMs(res.headers.get('retry-after'));
    if (after !== undefined) opts.retryAfterMs = after;
    throw new BackendError(`webhook ${redact(this.#settings.url)} answered ${res.status}`, opts);
  }

  async drain(): Promise<void> {}

  async close(): Promise<void> {}
}

/** A URL for logs: no user info, no query (they may hold tokens). */
function redact(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}
