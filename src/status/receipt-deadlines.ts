import { MinHeap } from '../util/min-heap.js';
import type { StatusStore } from './status-store.js';

/** Reason given to a message marked expired at its origin because its receipt never came. */
export const NO_RECEIPT_REASON = 'no receipt before its TTL ran out';

interface Deadline {
  id: string;
  at: number;
}

/**
 * At the origin, a message that asked for a receipt and was passed on
 * (`sent`) but has no receipt when its TTL has run out (plus `graceMs` for
 * a receipt on its way back) is marked `expired`: every hop drops it at its
 * TTL, so it can no longer reach an app. A receipt that still arrives later
 * wins (StatusStore.update). Deadlines are rebuilt from the store on start.
 */
export class ReceiptDeadlines {
  readonly #store: StatusStore;
  readonly #graceMs: number;
  readonly #heap = new MinHeap<Deadline>((d) => d.at);
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;
  #closed = false;

  constructor(store: StatusStore, opts: { graceMs?: number } = {}) {
    this.#store = store;
    this.#graceMs = opts.graceMs ?? 2_000;
    for (const r of store.awaitingReceipts()) this.#heap.push({ id: r.id, at: r.expires + this.#graceMs });
    this.#arm();
  }

  /** Watches a message that asked for a receipt and expires at `expires` (Unix ms). */
  watch(id: string, expires: number): void {
    if (this.#closed) return;
    this.#heap.push({ id, at: expires + this.#graceMs });
    this.#arm();
  }

  #arm(): void {
    const top = this.#heap.peek();
    if (!top || this.#closed || top.at >= this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = top.at;
    // Timers above 2^31-1 ms fire at once; re-arm in steps instead.
    this.#timer = setTimeout(() => this.#fire(), Math.min(2 ** 31 - 1, Math.max(0, top.at - this.#store.now())));
    this.#timer.unref();
  }

  #fire(): void {
    this.#timer = null;
    this.#timerAt = Infinity;
    const now = this.#store.now();
    for (let top = this.#heap.peek(); top && top.at <= now; top = this.#heap.peek()) {
      this.#heap.pop();
      if (this.#store.get(top.id)?.state === 'sent') this.#store.update(top.id, 'expired', NO_RECEIPT_REASON);
    }
    this.#arm();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
