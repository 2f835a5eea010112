import { LRUCache } from 'lru-cache';

/**
 * Recently seen message keys (sender + message ID), bounded, so a message
 * that arrives twice (a hop retried after its ACK was lost) reaches apps once.
 */
export class DedupeCache {
  readonly #seen: LRUCache<string, true>;

  constructor(max = 100_000, ttlMs = 24 * 3600 * 1000) {
    this.#seen = new LRUCache({ max, ttl: ttlMs, ttlAutopurge: false });
  }

  /** True if `key` was seen before; records it either way. */
  check(key: string): boolean {
    if (this.#seen.has(key)) return true;
    this.#seen.set(key, true);
    return false;
  }
}
