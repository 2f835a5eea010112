import type { Logger } from 'pino';

/** Default interval between two log lines of the same refusal reason. */
export const REFUSAL_LOG_INTERVAL_MS = 10_000;

/**
 * Logs a repeated condition (a full outbox, a full disk) at most once per
 * interval per reason: the first occurrence at once, then one line per
 * interval with how many were left out (`suppressed`). No stack: `err`
 * is logged as its message and code only. Never throws.
 */
export class RefusalLog {
  readonly #log: Logger;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(logger: Logger, opts: { intervalMs?: number; now?: () => number } = {}) {
    this.#log = logger;
    this.#intervalMs = opts.intervalMs ?? REFUSAL_LOG_INTERVAL_MS;
    this.#now = opts.now ?? Date.now;
  }

  /** Logs `msg` at `level` for `reason` unless one was logged less than an interval ago. Returns whether it logged. */
  note(level: 'warn' | 'error' | 'info', reason: string, msg: string, fields: Record<string, unknown> = {}): boolean {
    const now = this.#now();
    const last = this.#last.get(reason);
    if (last && now - last.at < this.#intervalMs) {
      last.suppressed++;
      return false;
    }
    const suppressed = last?.suppressed ?? 0;
    this.#last.set(reason, { at: now, suppressed: 0 });
    try {
      this.#log[level]({ reason, ...fields, ...(suppressed > 0 ? { suppressed } : {}) }, msg);
    } catch {
      // a logger that throws must not turn a refusal into a crash
    }
    return true;
  }
}

/** An error as a log field without its stack: `{code, message}` (and the cause's code). */
export function errorSummary(err: unknown): Record<string, unknown> {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown } } | null;
  const out: Record<string, unknown> = { message: typeof e?.message === 'string' ? e.message : String(err) };
  if (typeof e?.code === 'string') out['code'] = e.code;
  if (typeof e?.cause?.code === 'string') out['cause'] = e.cause.code;
  return out;
}
