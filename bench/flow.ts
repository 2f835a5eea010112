import type { BenchCase, CaseResult } from './harness.js';

/**
 * A pipeline measured as a bench case: every call publishes `batch`
 * messages, then waits until at most `window` sent messages are still
 * on their way, so the pipeline stays full between calls (a call does
 * not wait for the last message of its own batch to arrive).
 */
export class Flow {
  sent = 0;
  received = 0;
  readonly #waiters = new Set<() => void>();

  /** The receiving end calls this for every message that arrived. */
  readonly arrived = (n = 1): void => {
    this.received += n;
    for (const w of [...this.#waiters]) w();
  };

  /** Resolves once received ≥ sent − window. */
  settle(window: number, timeoutMs = 60_000): Promise<void> {
    if (this.received >= this.sent - window) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`flow stalled: ${this.received} of ${this.sent} arrived`));
      }, timeoutMs);
      const check = (): void => {
        if (this.received < this.sent - window) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }

  /** A bench case of `batch` messages per call, up to `window` in flight. */
  case(name: string, batch: number, window: number, publish: (n: number) => void | Promise<unknown>): BenchCase & { batch: number } {
    return {
      name,
      batch,
      async: true,
      fn: async () => {
        await publish(batch);
        this.sent += batch;
        await this.settle(window);
      },
    };
  }
}

/** A case's result in messages per second (its ops are batches). */
export function perMessage(result: CaseResult, batch: number): CaseResult {
  return { name: result.name, opsPerSec: result.opsPerSec * batch, slices: result.slices.map((s) => s * batch) };
}
