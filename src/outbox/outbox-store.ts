import type { Db } from '../store/database.js';
import { PushmeshError } from '../errors/index.js';
import { storageHealthOf, type StorageHealth } from '../store/storage-health.js';
import { URGENCIES, type Urgency } from '../message/types.js';
import { Schedule, type Slot } from './schedule.js';
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
  size: number;
}

/** Outcome of an enqueue: the entry's seq, and the id it replaced (RFC 8030 Topic), if any. */
export interface EnqueueResult {
  seq: number;
  replacedId: string | null;
}

/** Deletes wait at most this long to share a transaction (one commit per delivered message cost ≈ 9 % of a draining relay's CPU). */
const DELETE_FLUSH_MS = 10;
/** …or until this many are waiting. */
const DELETE_BATCH = 512;

/** Wire messages kept in memory as well (so an attempt needs no read), in bytes at most. */
const WIRE_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * Durable, bounded queue of messages for other nodes. SQLite (table
 * `outbox`, one row per message, keyed by `seq`) is the durable copy:
 * one insert when a message is accepted, one delete when it is delivered,
 * expired or refused (deletes of up to 10 ms share a transaction),
 * an update per retry. Which entry is due, and when to
 * wake, is decided in memory (`Schedule`), rebuilt from the table on
 * start, when every entry is due at once. Entries are attempted most
 * urgent first; a message with the same `replace` key for the same
 * destination replaces the older one instead of queueing behind it. The
 * bound is on the number of entries and on their bytes.
 *
 * A write that fails (disk full, I/O error: StorageHealth) never throws
 * from a timer and never leaves memory ahead of the disk in a way that
 * loses a message: an insert is written before the entry exists in
 * memory (the caller gets ERR_STORAGE_FULL); a delete or a retry time is
 * applied in memory at once and kept pending until the disk takes it
 * (retried every second, and with the next flush). A crash meanwhile
 * sends a delivered message once more (the receiver drops the copy) or
 * retries one sooner: never loses one.
 */
export class OutboxStore {
  readonly #db: Db;
  readonly #max: number;
  readonly #maxBytes: number;
  readonly #health: StorageHealth;
  readonly #stmts;
  readonly #schedule = new Schedule();
  /** `dest NUL replace` → seq of the entry holding that RFC 8030 Topic. */
  readonly #byReplace = new Map<string, number>();
  readonly #wires = new Map<number, Buffer>();
  #wireBytes = 0;
  /** Bytes of each queued entry's wire message, and their sum (the bytes bound). */
  readonly #sizes = new Map<number, number>();
  #queuedBytes = 0;
  /** Deleted in memory, to delete on disk within DELETE_FLUSH_MS (or later, when a write failed). */
  #pendingDeletes: number[] = [];
  /** Retry times set in memory whose write failed: seq → next_attempt_at. */
  readonly #pendingRetries = new Map<number, number>();
  #flushScheduled: NodeJS.Timeout | null = null;
  /** Next seq: above every row on disk and every seq handed out by this process (never reused). */
  #nextSeq = 1;

  constructor(db: Db, opts: { maxEntries: number; maxBytes?: number; health?: StorageHealth; now?: number }) {
    this.#db = db;
    this.#max = opts.maxEntries;
    this.#maxBytes = opts.maxBytes ?? Infinity;
    this.#health = opts.health ?? storageHealthOf(db);
    this.#health.retry(() => this.#retryPending());
    db.exec(`
      CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        dest TEXT NOT NULL,
        replace_key TEXT,
        urgency INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        wire BLOB NOT NULL
      );
      -- Scheduling is in memory: on disk only the primary key, so each write touches one b-tree.
      DROP INDEX IF EXISTS outbox_replace;
      DROP INDEX IF EXISTS outbox_due;
      DROP INDEX IF EXISTS outbox_dest;
      DROP INDEX IF EXISTS outbox_order;
    `);
    this.#stmts = {
      // seq given by us (not AUTOINCREMENT, which writes sqlite_sequence on every insert).
      insert: db.prepare<[number, string, string, string | null, number, number, number, Buffer]>(
        'INSERT INTO outbox (seq, id, dest, replace_key, urgency, expires_at, next_attempt_at, wire) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      remove: db.prepare<[number]>('DELETE FROM outbox WHERE seq = ?'),
      retry: db.prepare<[number, number]>('UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE seq = ?'),
      wire: db.prepare<[number], { wire: Buffer }>('SELECT wire FROM outbox WHERE seq = ?'),
      all: db.prepare<[], Row>('SELECT seq, id, dest, replace_key, urgency, expires_at, attempts, next_attempt_at, length(wire) AS size FROM outbox ORDER BY seq'),
    };
    const now = opts.now ?? Date.now();
    for (const r of this.#stmts.all.all()) {
      this.#nextSeq = Math.max(this.#nextSeq, r.seq + 1);
      // A restart is a fresh start for every destination: all due now.
      this.#schedule.add(
        { seq: r.seq, id: r.id, dest: r.dest, replace: r.replace_key, urgency: r.urgency, expiresAt: r.expires_at, attempts: r.attempts, nextAttemptAt: now },
        now,
      );
      if (r.replace_key !== null) this.#byReplace.set(replaceKey(r.dest, r.replace_key), r.seq);
      this.#sizes.set(r.seq, r.size);
      this.#queuedBytes += r.size;
    }
  }

  /**
   * Adds an entry, on disk first. Throws `ERR_QUEUE_FULL` when a bound
   * (messages or bytes) is reached (after a Topic replacement, which frees
   * its entry's room), `ERR_STORAGE_FULL` when the store cannot be
   * written (nothing changed then, in memory or on disk).
   */
  enqueue(entry: NewOutboxEntry, now: number): EnqueueResult {
    const key = entry.replace === null ? null : replaceKey(entry.dest, entry.replace);
    const replacedSeq = key === null ? undefined : this.#byReplace.get(key);
    const replaced = replacedSeq === undefined ? undefined : this.#schedule.get(replacedSeq);
    if (this.#schedule.size - (replaced ? 1 : 0) >= this.#max) {
      throw new PushmeshError('ERR_QUEUE_FULL', `outbox full (${this.#max} messages)`);
    }
    const freed = replaced ? (this.#sizes.get(replaced.seq) ?? 0) : 0;
    if (this.#queuedBytes - freed + entry.wire.length > this.#maxBytes) {
      throw new PushmeshError('ERR_QUEUE_FULL', `outbox full (${this.#maxBytes} bytes)`);
    }
    const urgency = URGENCIES.indexOf(entry.urgency);
    const seq = this.#nextSeq++;
    const insert = (): unknown => this.#stmts.insert.run(seq, entry.id, entry.dest, entry.replace, urgency, entry.expiresAt, now, entry.wire);
    if (replaced) {
      this.#health.write('a queued message', () =>
        this.#db.transaction(() => {
          this.#stmts.remove.run(replaced.seq);
          insert();
        })(),
      );
      this.#schedule.remove(replaced.seq);
      this.#dropWire(replaced.seq);
      this.#dropSize(replaced.seq);
      this.#pendingRetries.delete(replaced.seq);
    } else this.#health.write('a queued message', insert);
    this.#sizes.set(seq, entry.wire.length);
    this.#queuedBytes += entry.wire.length;
    if (this.#wireBytes + entry.wire.length <= WIRE_CACHE_BYTES) {
      this.#wires.set(seq, entry.wire);
      this.#wireBytes += entry.wire.length;
    }
    this.#schedule.add({ seq, id: entry.id, dest: entry.dest, replace: entry.replace, urgency, expiresAt: entry.expiresAt, attempts: 0, nextAttemptAt: now }, now);
    if (key !== null) this.#byReplace.set(key, seq);
    return { seq, replacedId: replaced?.id ?? null };
  }

  /** Entries due now, most urgent first, leaving out destinations in `busy` (and taking at most `room(dest)` of one); each with its wire message. */
  due(now: number, limit: number, busy: ReadonlySet<string> | readonly string[] = [], room?: (dest: string) => number): OutboxEntry[] {
    const set = busy instanceof Set ? busy : new Set(busy as readonly string[]);
    return this.#schedule.due(now, limit, set, room).map((s) => this.#entry(s));
  }

  #entry(s: Slot): OutboxEntry {
    const wire = this.#wires.get(s.seq) ?? this.#stmts.wire.get(s.seq)?.wire ?? Buffer.alloc(0);
    return { seq: s.seq, id: s.id, dest: s.dest, replace: s.replace, urgency: URGENCIES[s.urgency] as Urgency, expiresAt: s.expiresAt, attempts: s.attempts, nextAttemptAt: s.nextAttemptAt, wire };
  }

  /** Marks an entry as being attempted: it is not due again until the attempt ends (retry, removal) or the node restarts. */
  claim(seq: number): void {
    this.#schedule.claim(seq);
  }

  /** Earliest time an entry waiting for a retry wants one, or null. (Entries due now are what `due` returns.) */
  nextAttemptAt(): number | null {
    return this.#schedule.nextRetryAt();
  }

  /** Earliest expiry of an entry not in flight, or null. */
  nextExpiryAt(): number | null {
    return this.#schedule.nextExpiryAt();
  }

  /** Makes every entry due now, in-flight marks included. */
  wakeAll(now: number): void {
    this.#schedule.wake(now, null, true);
  }

  /** Makes every waiting entry for `dest` (all destinations with null) due now, e.g. when a link comes up; in-flight ones stay as they are. */
  wake(dest: string | null, now: number): void {
    this.#schedule.wake(now, dest, false);
  }

  /**
   * Removes an entry (delivered or refused). On disk within
   * DELETE_FLUSH_MS, with the other deletes of that time, in one
   * transaction (or at once when DELETE_BATCH are waiting). A crash before
   * that sends the entry again: the destination drops it as a duplicate.
   */
  remove(seq: number): void {
    const s = this.#schedule.remove(seq);
    if (!s) return;
    this.#forget(s);
    this.#pendingDeletes.push(seq);
    if (this.#pendingDeletes.length >= DELETE_BATCH && this.#health.writable) this.flush();
    else this.#scheduleFlush();
  }

  /**
   * Writes pending deletes (and retry times whose write failed) now; the
   * node calls it before closing the store. Never throws: a failed write
   * stays pending and is tried again (StorageHealth's probe, the next
   * flush). Returns whether nothing is left pending.
   */
  flush(): boolean {
    if (this.#flushScheduled) clearTimeout(this.#flushScheduled);
    this.#flushScheduled = null;
    const seqs = this.#pendingDeletes;
    if ((seqs.length === 0 && this.#pendingRetries.size === 0) || !this.#db.open) return seqs.length === 0 && this.#pendingRetries.size === 0;
    this.#pendingDeletes = [];
    const retries = [...this.#pendingRetries];
    try {
      this.#health.write('delivered messages', () =>
        this.#db.transaction(() => {
          for (const seq of seqs) this.#stmts.remove.run(seq);
          for (const [seq, at] of retries) this.#stmts.retry.run(at, seq);
        })(),
      );
      for (const [seq, at] of retries) if (this.#pendingRetries.get(seq) === at) this.#pendingRetries.delete(seq);
      return this.#pendingDeletes.length === 0 && this.#pendingRetries.size === 0;
    } catch {
      // Kept for the next try (the health's probe calls #retryPending); whatever was removed meanwhile joins them.
      this.#pendingDeletes = seqs.length === 0 ? this.#pendingDeletes : seqs.concat(this.#pendingDeletes);
      this.#health.pending();
      return false;
    }
  }

  /** Writes pending from the store health's probe: true when nothing is left. */
  #retryPending(): boolean {
    if (!this.#db.open) return true;
    return this.flush();
  }

  /** Bytes of the queued messages' wire form (the `maxBytes` bound). */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  #dropSize(seq: number): void {
    const n = this.#sizes.get(seq);
    if (n !== undefined) {
      this.#sizes.delete(seq);
      this.#queuedBytes -= n;
    }
  }

  #dropWire(seq: number): void {
    const w = this.#wires.get(seq);
    if (w) {
      this.#wires.delete(seq);
      this.#wireBytes -= w.length;
    }
  }

  #forget(s: Slot | undefined): void {
    if (s) {
      this.#dropWire(s.seq);
      this.#dropSize(s.seq);
      this.#pendingRetries.delete(s.seq);
    }
    if (s?.replace != null) {
      const key = replaceKey(s.dest, s.replace);
      if (this.#byReplace.get(key) === s.seq) this.#byReplace.delete(key);
    }
  }

  /**
   * Ends an attempt that failed: the entry waits until `at`. Memory first
   * (so the entry is never stuck "in delivery"), then the disk; a failed
   * write is kept pending (the disk's time only matters after a restart,
   * which makes everything due at once anyway). Never throws.
   */
  scheduleRetry(seq: number, at: number, now: number = Date.now()): void {
    if (!this.#schedule.get(seq)) return;
    this.#schedule.retry(seq, at, now);
    if (!this.#db.open) return;
    if (this.#pendingRetries.size > 0 || this.#pendingDeletes.length > 0) {
      // Writes are failing (or waiting for their flush): join them, in order.
      this.#pendingRetries.set(seq, at);
      this.#scheduleFlush();
      return;
    }
    try {
      this.#health.write('a retry time', () => this.#stmts.retry.run(at, seq));
    } catch {
      this.#pendingRetries.set(seq, at);
      this.#health.pending();
    }
  }

  /** Removes and returns expired entries (those in flight expire when their attempt fails); their deletes go with the next flush. Never throws. */
  takeExpired(now: number): OutboxEntry[] {
    const gone = this.#schedule.takeExpired(now);
    if (gone.length === 0) return [];
    const entries = gone.map((s) => this.#entry(s));
    for (const s of gone) {
      this.#forget(s);
      this.#pendingDeletes.push(s.seq);
    }
    this.flush();
    return entries;
  }

  #scheduleFlush(): void {
    if (!this.#health.writable) {
      this.#health.pending(); // the probe tries once a second, not every 10 ms
      return;
    }
    if (this.#flushScheduled) return;
    this.#flushScheduled = setTimeout(() => this.flush(), DELETE_FLUSH_MS);
    this.#flushScheduled.unref();
  }

  /** Whether entry `seq` is still queued (not delivered, expired, refused or replaced by a newer one with its Topic). */
  has(seq: number): boolean {
    return this.#schedule.get(seq) !== undefined;
  }

  /** Entries waiting (in flight included): all, or those for `dest`. */
  depth(dest?: string): number {
    return dest === undefined ? this.#schedule.size : this.#schedule.countFor(dest);
  }

  depthByDestination(): Map<string, number> {
    return this.#schedule.counts();
  }
}

function replaceKey(dest: string, replace: string): string {
  return `${dest}\u0000${replace}`;
}
