import { LRUCache } from 'lru-cache';
import type { Db } from '../src/store/database.js';

/**
 * The duplicate filter the node used before ReplayGuard (kept here only as
 * the bench's baseline): recently seen message keys (sender + message ID), bounded, so a message
 * that arrives twice (a hop retried after its ACK was lost) reaches apps
 * once. With a database, the keys are also kept on disk (table
 * `seen_messages`), so a node that restarts still knows what its apps
 * already had: a copy a relay retries after the restart is dropped too.
 * New keys are written at the end of the event-loop turn, in one
 * transaction; a crash in that window can let one copy through again.
 */
export class DedupeCache {
  readonly #seen: LRUCache<string, true>;
  readonly #max: number;
  readonly #ttlMs: number;
  readonly #stmts;
  #pending: string[] = [];
  #flushScheduled: NodeJS.Immediate | null = null;
  #written = 0;
  readonly #db: Db | undefined;

  constructor(opts: { max?: number; ttlMs?: number; db?: Db; now?: number } = {}) {
    this.#max = opts.max ?? 100_000;
    this.#ttlMs = opts.ttlMs ?? 24 * 3600 * 1000;
    this.#seen = new LRUCache({ max: this.#max, ttl: this.#ttlMs, ttlAutopurge: false });
    const db = (this.#db = opts.db);
    if (!db) {
      this.#stmts = null;
      return;
    }
    db.exec('CREATE TABLE IF NOT EXISTS seen_messages (key TEXT PRIMARY KEY, at INTEGER NOT NULL)');
    const insert = db.prepare<[string, number]>('INSERT OR REPLACE INTO seen_messages (key, at) VALUES (?, ?)');
    this.#stmts = {
      write: db.transaction((keys: string[], at: number) => {
        for (const k of keys) insert.run(k, at);
      }),
      prune: db.prepare<[number, number]>('DELETE FROM seen_messages WHERE at < ? OR key IN (SELECT key FROM seen_messages ORDER BY at DESC, rowid DESC LIMIT -1 OFFSET ?)'),
    };
    const now = opts.now ?? Date.now();
    this.#stmts.prune.run(now - this.#ttlMs, this.#max);
    const rows = db.prepare<[], { key: string; at: number }>('SELECT key, at FROM seen_messages ORDER BY at ASC').all();
    for (const r of rows) this.#seen.set(r.key, true, { ttl: Math.max(1, r.at + this.#ttlMs - now) });
  }

  /** True if `key` was seen before; records it either way. */
  check(key: string): boolean {
    if (this.#seen.has(key)) return true;
    this.#seen.set(key, true);
    if (this.#stmts) {
      this.#pending.push(key);
      this.#flushScheduled ??= setImmediate(() => this.flush());
    }
    return false;
  }

  /** Writes the keys seen since the last write (also called on close). */
  flush(): void {
    if (this.#flushScheduled) clearImmediate(this.#flushScheduled);
    this.#flushScheduled = null;
    if (!this.#stmts || this.#pending.length === 0 || !this.#db?.open) return;
    const keys = this.#pending;
    this.#pending = [];
    const now = Date.now();
    this.#stmts.write(keys, now);
    this.#written += keys.length;
    if (this.#written >= 10_000) {
      this.#written = 0;
      this.#stmts.prune.run(now - this.#ttlMs, this.#max);
    }
  }
}
