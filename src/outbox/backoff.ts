/**
 * Exponential backoff with full jitter (AWS architecture blog's "full
 * jitter"): a random delay in [base, min(cap, base·2^attempt)].
 */
export function backoffDelay(attempt: number, opts: { baseMs: number; capMs: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(opts.baseMs + random() * Math.max(0, ceiling - opts.baseMs));
}
