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

/** `next_attempt_at` of an entry whose attempt is in flight (the largest Date). */
const IN_FLIGHT = 8_640_000_000_000_000;

/** Outcome of an enqueue: the entry's seq, and the id it replaced (RFC 8030 Topic), if any. */
export interface EnqueueResult {
  seq: number;
  replacedId: string | null;
}

/**
 * Durable, bounded queue of messages for other nodes (SQLite table
 * `outbox`). Entries are attempted most urgent first, then in `seq`
 * order; a message with the same `replace` key for the same destination
 * replaces the older one instead of queueing behind it. The bound is on
 * the number of entries.
 */
export class OutboxStore {
  readonly #db: Db;
  readonly #max: number;
  readonly #stmts;
  /** Entries in the table, kept in step with every insert and delete (COUNT(*) scans the table). */
  #count: number;

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
      CREATE INDEX IF NOT EXISTS outbox_order ON outbox(urgency DESC, seq);
    `);
    this.#stmts = {
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM outbox'),
      findReplace: db.prepare<[string, string], { id: string }>('SELECT id FROM outbox WHERE dest = ? AND replace_key = ?'),
      deleteReplace: db.prepare<[string, string]>('DELETE FROM outbox WHERE dest = ? AND replace_key = ?'),
      insert: db.prepare<[string, string, string | null, number, number, number, Buffer]>(
        'INSERT INTO outbox (id, dest, replace_key, urgency, expires_at, next_attempt_at, wire) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      // Due entries of destinations that can take more attempts now (`busy`: a JSON array of
      // the others), higher urgency first when a backlog drains (RFC 8030 §5.3), then age.
      due: db.prepare<[number, number, string, number], Row>(`
        SELECT * FROM outbox
        WHERE next_attempt_at <= ? AND expires_at > ? AND dest NOT IN (SELECT value FROM json_each(?))
        ORDER BY urgency DESC, seq ASC
        LIMIT ?`),
      nextWake: db.prepare<[string], { t: number | null }>(
        'SELECT MIN(next_attempt_at) AS t FROM outbox WHERE dest NOT IN (SELECT value FROM json_each(?))',
      ),
      claim: db.prepare<[number, number]>('UPDATE outbox SET next_attempt_at = ? WHERE seq = ?'),
      nextExpiry: db.prepare<[number], { t: number | null }>('SELECT MIN(expires_at) AS t FROM outbox WHERE next_attempt_at < ?'),
      wakeAll: db.prepare<[number, number]>('UPDATE outbox SET next_attempt_at = ? WHERE next_attempt_at > ?'),
      remove: db.prepare<[number]>('DELETE FROM outbox WHERE seq = ?'),
      retry: db.prepare<[number, number]>('UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE seq = ?'),
      // Entries in flight are left to their attempt; they expire once it ends.
      expired: db.prepare<[number, number], Row>('SELECT * FROM outbox WHERE expires_at <= ? AND next_attempt_at < ?'),
      deleteExpired: db.prepare<[number, number]>('DELETE FROM outbox WHERE expires_at <= ? AND next_attempt_at < ?'),
      byDest: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM outbox WHERE dest = ?'),
      perDest: db.prepare<[], { dest: string; n: number }>('SELECT dest, COUNT(*) AS n FROM outbox GROUP BY dest'),
      wakeDest: db.prepare<[number, string, number, number]>('UPDATE outbox SET next_attempt_at = ? WHERE dest = ? AND next_attempt_at > ? AND next_attempt_at < ?'),
    };
    this.#count = this.#stmts.count.get()!.n;
  }

  /** Adds an entry; throws `ERR_QUEUE_FULL` when the bound is reached (after a Topic replacement, which frees a slot). */
  enqueue(entry: NewOutboxEntry, now: number): EnqueueResult {
    const s = this.#stmts;
    return this.#db.transaction((): EnqueueResult => {
      let replacedId: string | null = null;
      if (entry.replace !== null) {
        replacedId = s.findReplace.get(entry.dest, entry.replace)?.id ?? null;
        if (replacedId !== null) this.#count -= s.deleteReplace.run(entry.dest, entry.replace).changes;
      }
      if (this.#count >= this.#max) {
        throw new PushmeshError('ERR_QUEUE_FULL', `outbox full (${this.#max} messages)`);
      }
      const info = s.insert.run(entry.id, entry.dest, entry.replace, URGENCIES.indexOf(entry.urgency), entry.expiresAt, now, entry.wire);
      this.#count++;
      return { seq: Number(info.lastInsertRowid), replacedId };
    })();
  }

  /** Entries due now, most urgent first, leaving out destinations in `busy`. */
  due(now: number, limit: number, busy: readonly string[] = []): OutboxEntry[] {
    return this.#stmts.due.all(now, now, JSON.stringify(busy), limit).map(toEntry);
  }

  /**
   * Marks an entry as being attempted: it is not due again until the
   * attempt ends (retry, removal) or the node restarts (wakeAll).
   */
  claim(seq: number): void {
    this.#stmts.claim.run(IN_FLIGHT, seq);
  }

  /** Earliest time an entry not in flight wants an attempt (destinations in `busy` left out), or null. */
  nextAttemptAt(busy: readonly string[] = []): number | null {
    const t = this.#stmts.nextWake.get(JSON.stringify(busy))?.t ?? null;
    return t === null || t >= IN_FLIGHT ? null : t;
  }

  /** Earliest time an entry expires, or null if empty. */
  nextExpiryAt(): number | null {
    return this.#stmts.nextExpiry.get(IN_FLIGHT)?.t ?? null;
  }

  /** Makes every entry due now, in-flight marks included (on start: a restart ends every backoff). */
  wakeAll(now: number): void {
    this.#stmts.wakeAll.run(now, now);
  }

  remove(seq: number): void {
    this.#count -= this.#stmts.remove.run(seq).changes;
  }

  scheduleRetry(seq: number, at: number): void {
    this.#stmts.retry.run(at, seq);
  }

  /** Makes every waiting entry for `dest` due now (e.g. when a link to it comes up). */
  wake(dest: string, now: number): void {
    this.#stmts.wakeDest.run(now, dest, now, IN_FLIGHT);
  }

  /** Removes and returns expired entries. */
  takeExpired(now: number): OutboxEntry[] {
    return this.#db.transaction(() => {
      const rows = this.#stmts.expired.all(now, IN_FLIGHT).map(toEntry);
      if (rows.length) this.#count -= this.#stmts.deleteExpired.run(now, IN_FLIGHT).changes;
      return rows;
    })();
  }

  depth(dest?: string): number {
    return dest === undefined ? this.#count : this.#stmts.byDest.get(dest)!.n;
  }

  depthByDestination(): Map<string, number> {
    return new Map(this.#stmts.perDest.all().map((r) => [r.dest, r.n]));
  }
}
