/**
 * Keeps a flood of refusals from flooding the log: at most `perWindow`
 * lines per key (a refusal reason) per window; the rest are only counted,
 * and the next line allowed says how many were left out.
 */
export class LogBudget {
  readonly #perWindow: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #state = new Map<string, { start: number; used: number; skipped: number }>();

  constructor(opts: { perWindow?: number; windowMs?: number; now?: () => number } = {}) {
    this.#perWindow = opts.perWindow ?? 20;
    this.#windowMs = opts.windowMs ?? 60_000;
    this.#now = opts.now ?? Date.now;
  }

  /** Whether to log this one; when yes, `skipped` is how many of this key went unlogged before it. */
  take(key: string): { log: boolean; skipped: number } {
    const now = this.#now();
    let s = this.#state.get(key);
    if (!s || now - s.start >= this.#windowMs) {
      const skipped = s?.skipped ?? 0;
      this.#state.set(key, (s = { start: now, used: 1, skipped: 0 }));
      return { log: true, skipped };
    }
    if (s.used < this.#perWindow) {
      s.used++;
      return { log: true, skipped: 0 };
    }
    s.skipped++;
    return { log: false, skipped: 0 };
  }
}
