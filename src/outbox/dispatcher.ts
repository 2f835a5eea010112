import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { backoffDelay } from './backoff.js';
import type { OutboxStore } from './outbox-store.js';
import type { DeliveryResult, OutboxEntry } from './types.js';

export type Deliver = (entry: OutboxEntry, signal: AbortSignal) => Promise<DeliveryResult>;

export interface DispatcherOptions {
  store: OutboxStore;
  deliver: Deliver;
  logger: Logger;
  /** Destinations attempted at once. */
  concurrency?: number;
  backoff?: { baseMs: number; capMs: number };
  now?: () => number;
}

export interface DispatcherEvents {
  delivered: [entry: OutboxEntry];
  expired: [entry: OutboxEntry];
  rejected: [entry: OutboxEntry, reason: string];
  retry: [entry: OutboxEntry, reason: string, delayMs: number];
}

/**
 * Drains the outbox: one attempt in flight per destination (so order
 * within a destination holds), a bounded number of destinations at once,
 * retries with backoff until the entry's TTL runs out.
 */
export class OutboxDispatcher extends EventEmitter<DispatcherEvents> {
  readonly #store: OutboxStore;
  readonly #deliver: Deliver;
  readonly #log: Logger;
  readonly #concurrency: number;
  readonly #backoff: { baseMs: number; capMs: number };
  readonly #now: () => number;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;
  #running = false;
  #stopped = false;

  constructor(opts: DispatcherOptions) {
    super();
    this.#store = opts.store;
    this.#deliver = opts.deliver;
    this.#log = opts.logger;
    this.#concurrency = opts.concurrency ?? 16;
    this.#backoff = opts.backoff ?? { baseMs: 500, capMs: 60_000 };
    this.#now = opts.now ?? Date.now;
  }

  /** Looks for due work now (call after enqueueing, or when a destination comes back). */
  kick(): void {
    if (this.#stopped) return;
    this.#schedule(0);
  }

  #schedule(delayMs: number): void {
    const at = this.#now() + delayMs;
    if (this.#timer && this.#timerAt <= at) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#timerAt = Infinity;
      this.#pump();
    }, Math.max(0, delayMs));
    this.#timer.unref();
  }

  #pump(): void {
    if (this.#stopped || this.#running) return;
    this.#running = true;
    try {
      const now = this.#now();
      for (const e of this.#store.takeExpired(now)) this.emit('expired', e);
      const free = this.#concurrency - this.#inFlight.size;
      if (free > 0) {
        for (const entry of this.#store.due(now, free + this.#inFlight.size)) {
          if (this.#inFlight.size >= this.#concurrency) break;
          if (this.#inFlight.has(entry.dest)) continue;
          const p = this.#attempt(entry).finally(() => {
            this.#inFlight.delete(entry.dest);
            this.kick();
          });
          this.#inFlight.set(entry.dest, p);
        }
      }
      const next = this.#store.nextAttemptAt();
      if (next !== null) this.#schedule(Math.max(next - this.#now(), 0) + 1);
    } catch (err) {
      this.#log.error({ err }, 'outbox pump failed');
      this.#schedule(1000);
    } finally {
      this.#running = false;
    }
  }

  async #attempt(entry: OutboxEntry): Promise<void> {
    let result: DeliveryResult;
    try {
      result = await this.#deliver(entry, this.#abort.signal);
    } catch (err) {
      result = { kind: 'retry', reason: (err as Error).message };
    }
    if (this.#stopped && result.kind === 'retry') return; // stays queued for the next start
    switch (result.kind) {
      case 'delivered':
        this.#store.remove(entry.seq);
        this.emit('delivered', entry);
        break;
      case 'rejected':
        this.#store.remove(entry.seq);
        this.emit('rejected', entry, result.reason);
        break;
      case 'retry': {
        const delay = backoffDelay(entry.attempts, this.#backoff);
        this.#store.scheduleRetry(entry.seq, this.#now() + delay);
        this.emit('retry', entry, result.reason, delay);
        break;
      }
    }
  }

  /** Finishes attempts in flight, then stops; queued entries stay on disk. */
  async drain(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await Promise.allSettled([...this.#inFlight.values()]);
  }

  /** Stops now: aborts attempts in flight (they stay queued). */
  async close(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#abort.abort(new Error('outbox closed'));
    await Promise.allSettled([...this.#inFlight.values()]);
  }
}
