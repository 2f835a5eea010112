import type { Db } from '../store/database.js';
import { PushmeshError } from '../errors/index.js';
import { URGENCIES, type Urgency } from '../message/types.js';
import type { NewOutboxEntry, OutboxEntry } from './types.js';

interface Row {
  seq: number;
  id: string;
  dest: string;
  replace_key: string | null;
  urgency: number;
  expires_at: number;
  attempts: number;
  next_attempt_at: number;
  wire: Buffer;
}

const toEntry = (r: Row): OutboxEntry => ({
  seq: r.seq,
  id: r.id,
  dest: r.dest,
  replace: r.replace_key,
  urgency: URGENCIES[r.urgency] as Urgency,
  expiresAt: r.expires_at,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  wire: r.wire,
});

/** Outcome of an enqueue: the entry's seq, and the id it replaced (RFC 8030 Topic), if any. */
export interface EnqueueResult {
  seq: number;
  replacedId: string | null;
}

/**
 * Durable, bounded queue of messages for other nodes (SQLite table
 * `outbox`). Order within a destination is `seq`; a message with the same
 * `replace` key for the same destination replaces the older one in place of
 * queueing behind it. The bound is on the number of entries.
 */
export class OutboxStore {
  readonly #db: Db;
  readonly #max: number;
  readonly #stmts;

  constructor(db: Db, opts: { maxEntries: number }) {
    this.#db = db;
    this.#max = opts.maxEntries;
    db.exec(`
      CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL,
        dest TEXT NOT NULL,
        replace_key TEXT,
        urgency INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        wire BLOB NOT NULL
      );
      CREATE UNIQUE INDEX IF NOT EXISTS outbox_replace ON outbox(dest, replace_key) WHERE replace_key IS NOT NULL;
      CREATE INDEX IF NOT EXISTS outbox_due ON outbox(next_attempt_at);
      CREATE INDEX IF NOT EXISTS outbox_dest ON outbox(dest, seq);
    `);
    this.#stmts = {
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM outbox'),
      findReplace: db.prepare<[string, string], { id: string }>('SELECT id FROM outbox WHERE dest = ? AND replace_key = ?'),
      deleteReplace: db.prepare<[string, string]>('DELETE FROM outbox WHERE dest = ? AND replace_key = ?'),
      insert: db.prepare<[string, string, string | null, number, number, number, Buffer]>(
        'INSERT INTO outbox (id, dest, replace_key, urgency, expires_at, next_attempt_at, wire) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      // One head per destination: the first entry in order, if it is due.
      // Higher urgency first when a backlog drains (RFC 8030 §5.3), then age.
      dueHeads: db.prepare<[number, number, number], Row>(`
        SELECT o.* FROM outbox o
        JOIN (SELECT dest, MIN(seq) AS seq FROM outbox WHERE expires_at > ? GROUP BY dest) h ON h.seq = o.seq
        WHERE o.next_attempt_at <= ?
        ORDER BY o.urgency DESC, o.seq ASC
        LIMIT ?`),
      nextWake: db.prepare<[], { t: number | null }>('SELECT MIN(next_attempt_at) AS t FROM outbox'),
      remove: db.prepare<[number]>('DELETE FROM outbox WHERE seq = ?'),
      retry: db.prepare<[number, number]>('UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE seq = ?'),
      expired: db.prepare<[number], Row>('SELECT * FROM outbox WHERE expires_at <= ?'),
      deleteExpired: db.prepare<[number]>('DELETE FROM outbox WHERE expires_at <= ?'),
      byDest: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM outbox WHERE dest = ?'),
      perDest: db.prepare<[], { dest: string; n: number }>('SELECT dest, COUNT(*) AS n FROM outbox GROUP BY dest'),
      wakeDest: db.prepare<[number, string]>('UPDATE outbox SET next_attempt_at = ? WHERE dest = ?'),
    };
  }

  /** Adds an entry; throws `ERR_QUEUE_FULL` when the bound is reached (after a Topic replacement, which frees a slot). */
  enqueue(entry: NewOutboxEntry, now: number): EnqueueResult {
    const s = this.#stmts;
    return this.#db.transaction((): EnqueueResult => {
      let replacedId: string | null = null;
      if (entry.replace !== null) {
        replacedId = s.findReplace.get(entry.dest, entry.replace)?.id ?? null;
        if (replacedId !== null) s.deleteReplace.run(entry.dest, entry.replace);
      }
      if (s.count.get()!.n >= this.#max) {
        throw new PushmeshError('ERR_QUEUE_FULL', `outbox full (${this.#max} messages)`);
      }
      const info = s.insert.run(entry.id, entry.dest, entry.replace, URGENCIES.indexOf(entry.urgency), entry.expiresAt, now, entry.wire);
      return { seq: Number(info.lastInsertRowid), replacedId };
    })();
  }

  /** Heads of destination queues that are due now, most urgent first. */
  due(now: number, limit: number): OutboxEntry[] {
    return this.#stmts.dueHeads.all(now, now, limit).map(toEntry);
  }

  /** Earliest time any entry wants an attempt, or null if empty. */
  nextAttemptAt(): number | null {
    return this.#stmts.nextWake.get()?.t ?? null;
  }

  remove(seq: number): void {
    this.#stmts.remove.run(seq);
  }

  scheduleRetry(seq: number, at: number): void {
    this.#stmts.retry.run(at, seq);
  }

  /** Makes every entry for `dest` due now (e.g. when a link to it comes up). */
  wake(dest: string, now: number): void {
    this.#stmts.wakeDest.run(now, dest);
  }

  /** Removes and returns expired entries. */
  takeExpired(now: number): OutboxEntry[] {
    return this.#db.transaction(() => {
      const rows = this.#stmts.expired.all(now).map(toEntry);
      if (rows.length) this.#stmts.deleteExpired.run(now);
      return rows;
    })();
  }

  depth(dest?: string): number {
    return dest === undefined ? this.#stmts.count.get()!.n : this.#stmts.byDest.get(dest)!.n;
  }

  depthByDestination(): Map<string, number> {
    return new Map(this.#stmts.perDest.all().map((r) => [r.dest, r.n]));
  }
}
