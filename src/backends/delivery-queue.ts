import { setTimeout as sleep } from 'node:timers/promises';
import { BackendError, isRetryable } from '../errors/backend-error.js';
import { backoffDelay } from './retry-policy.js';
import type { DeliveryPolicy } from './types.js';

export interface DeliveryHooks<T> {
  /** Published (after `attempts` attempts). */
  delivered(item: T, attempts: number): void;
  /** Failed for good: not retryable, attempts used up, or the queue closed. */
  failed(item: T, err: unknown, attempts: number): void;
  /** One attempt failed; the next comes after `delayMs`. */
  retrying(item: T, err: unknown, attempt: number, delayMs: number): void;
}

/**
 * A bounded queue of events for one adapter, worked by up to
 * `concurrency` workers; a failed attempt is retried with backoff
 * (retry-policy.ts) in the same worker, so with concurrency 1 events
 * keep their order. `push` never blocks: when the queue is full it
 * answers false and the caller counts the drop.
 */
export class DeliveryQueue<T> {
  readonly #policy: DeliveryPolicy;
  readonly #send: (item: T, signal: AbortSignal) => Promise<void>;
  readonly #hooks: DeliveryHooks<T>;
  readonly #items: T[] = [];
  readonly #abort = new AbortController();
  #active = 0;
  #closed = false;
  #idle: Array<() => void> = [];

  constructor(policy: DeliveryPolicy, send: (item: T, signal: AbortSignal) => Promise<void>, hooks: DeliveryHooks<T>) {
    this.#policy = policy;
    this.#send = send;
    this.#hooks = hooks;
  }

  get length(): number {
    return this.#items.length + this.#active;
  }

  push(item: T): boolean {
    if (this.#closed || this.#items.length >= this.#policy.queueLimit) return false;
    this.#items.push(item);
    if (this.#active < this.#policy.concurrency) void this.#work();
    return true;
  }

  /** Resolves when every queued event has been delivered or has failed for good. */
  async drain(): Promise<void> {
    if (this.length === 0) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /** Stops now: events still queued fail, attempts in flight are aborted. */
  close(): void {
    this.#closed = true;
    this.#abort.abort(new BackendError('delivery queue closed', { retryable: false }));
    for (const item of this.#items.splice(0)) this.#hooks.failed(item, this.#abort.signal.reason, 0);
    this.#checkIdle();
  }

  async #work(): Promise<void> {
    this.#active++;
    try {
      for (let item = this.#items.shift(); item !== undefined; item = this.#items.shift()) await this.#deliver(item);
    } finally {
      this.#active--;
      this.#checkIdle();
    }
  }

  async #deliver(item: T): Promise<void> {
    const signal = this.#abort.signal;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#send(item, signal);
        this.#hooks.delivered(item, attempt);
        return;
      } catch (err) {
        if (signal.aborted || !isRetryable(err) || attempt >= this.#policy.maxAttempts) {
          this.#hooks.failed(item, err, attempt);
          return;
        }
        const delay = backoffDelay(this.#policy, attempt, err instanceof BackendError ? err.retryAfterMs : undefined);
        this.#hooks.retrying(item, err, attempt, delay);
        try {
          await sleep(delay, undefined, { signal });
        } catch {
          this.#hooks.failed(item, signal.reason, attempt);
          return;
        }
      }
    }
  }

  #checkIdle(): void {
    if (this.length > 0) return;
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
