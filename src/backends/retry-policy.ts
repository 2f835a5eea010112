import type { DeliveryPolicy } from './types.js';

/** Defaults for adapters that do not set their own. */
export const DEFAULT_DELIVERY: DeliveryPolicy = {
  concurrency: 64,
  queueLimit: 10_000,
  maxAttempts: 5,
  initialBackoffMs: 500,
  maxBackoffMs: 30_000,
};

/**
 * Delay before attempt `attempt + 1` after `attempt` failed (attempt ≥ 1):
 * initial × 2^(attempt − 1), at most maxBackoffMs, with ±20 % jitter so
 * many events that failed together do not retry together. A delay the
 * backend asked for (Retry-After) is used instead when it is longer, up
 * to maxBackoffMs.
 */
export function backoffDelay(policy: DeliveryPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(base * (0.8 + 0.4 * random()));
  const wanted = retryAfterMs !== undefined ? Math.max(jittered, retryAfterMs) : jittered;
  return Math.min(policy.maxBackoffMs, wanted);
}
