import type { Db } from '../store/database.js';
import { PushmeshError } from '../errors/index.js';
import { storageError, storageHealthOf, type StorageHealth } from '../store/storage-health.js';
import { turnWriterOf, type TurnWriter, type TurnWrites } from '../store/turn-writer.js';
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

/** Deletes wait for their commit (TurnWriter `soon`, ≤ 10 ms) until this many are waiting. */
const DELETE_BATCH = 512;

/** An accepted entry whose row is not committed yet: not due, counted in the bounds. */
interface Pending {
  seq: number;
  entry: NewOutboxEntry;
  urgency: number;
  now: number;
  key: string | null;
  /** The entry this one replaces (its RFC 8030 Topic): committed, or pending in the same turn. */
  replaces: number | undefined;
  /** …when that one is pending too. */
  replacesPending: Pending | undefined;
  /** Replaced by a later entry of the same turn: never becomes due. */
  superseded: boolean;
  /** How it ended, for `enqueue` (synchronous) and `accept` (promise). */
  result?: EnqueueResult;
  error?: unknown;
  settle?: { resolve: (r: EnqueueResult) => void; reject: (e: unknown) => void };
}

/** Wire messages kept in memory as well (so an attempt needs no read), in bytes at most. */
const WIRE_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * Durable, bounded queue of messages for other nodes. SQLite (table
 * `outbox`, one row per message, keyed by `seq`) is the durable copy:
 * one insert when a message is accepted, one delete when it is delivered,
 * expired or refused, an update per retry — all written through the
 * store's TurnWriter, so the writes of one event-loop turn (inserts) or
 * of up to 10 ms (deletes, retry times) share one transaction with the
 * node's other stores. Which entry is due, and when to
 * wake, is decided in memory (`Schedule`), rebuilt from the table on
 * start, when every entry is due at once. Entries are attempted most
 * urgent first; a message with the same `replace` key for the same
 * destination replaces the older one instead of queueing behind it. The
 * bound is on the number of entries and on their bytes.
 *
 * A write that fails (disk full, I/O error: StorageHealth) never throws
 * from a timer and never leaves memory ahead of the disk in a way that
 * loses a message: an entry becomes due only once its row is committed,
 * and its acceptance is answered only then (`accept` resolves, or
 * `enqueue` returns; ERR_STORAGE_FULL when the commit failed, and the
 * entry is gone from memory too); a delete or a retry time is
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
  /** Deleted in memory, to delete on disk with the next commit (or later, when a write failed). */
  #pendingDeletes: number[] = [];
  /** Retry times set in memory, to write with the next commit: seq → next_attempt_at. */
  readonly #pendingRetries = new Map<number, number>();
  /** Accepted entries waiting for their commit, in order. */
  #pending: Pending[] = [];
  readonly #pendingBySeq = new Map<number, Pending>();
  /** Pending entries not superseded: they count in the bounds. */
  #pendingLive = 0;
  readonly #writer: TurnWriter;
  /** Next seq: above every row on disk and every seq handed out by this process (never reused). */
  #nextSeq = 1;

  constructor(db: Db, opts: { maxEntries: number; maxBytes?: number; health?: StorageHealth; writer?: TurnWriter; now?: number }) {
    this.#db = db;
    this.#max = opts.maxEntries;
    this.#maxBytes = opts.maxBytes ?? Infinity;
    this.#health = opts.health ?? storageHealthOf(db);
    this.#writer = opts.writer ?? turnWriterOf(db, this.#health);
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
    this.#writer.add({ take: () => this.#take() });
  }

  /**
   * Adds an entry; it is on disk (and becomes due) once the returned
   * promise resolves, at the end of this event-loop turn, in one
   * transaction with the turn's other writes. Throws `ERR_QUEUE_FULL` at
   * once when a bound (messages or bytes) is reached (after a Topic
   * replacement, which frees its entry's room); the promise rejects with
   * `ERR_STORAGE_FULL` when the store cannot be written (nothing of the
   * entry is kept then, in memory or on disk).
   */
  accept(entry: NewOutboxEntry, now: number): Promise<EnqueueResult> {
    const p = this.#add(entry, now);
    const out = new Promise<EnqueueResult>((resolve, reject) => (p.settle = { resolve, reject }));
    this.#writer.now();
    return out;
  }

  /** `accept`, committed now (with whatever else waits): returns, or throws, once the row is on disk. */
  enqueue(entry: NewOutboxEntry, now: number): EnqueueResult {
    const p = this.#add(entry, now);
    this.#writer.flush();
    if (p.result) return p.result;
    throw p.error ?? storageError(new Error('not written'), 'a queued message');
  }

  #add(entry: NewOutboxEntry, now: number): Pending {
    const key = entry.replace === null ? null : replaceKey(entry.dest, entry.replace);
    const replaces = key === null ? undefined : this.#byReplace.get(key);
    const pendingReplaced = replaces === undefined ? undefined : this.#pendingBySeq.get(replaces);
    const replacing = replaces !== undefined && (pendingReplaced !== undefined || this.#schedule.get(replaces) !== undefined);
    if (this.#schedule.size + this.#pendingLive - (replacing ? 1 : 0) >= this.#max) {
      throw new PushmeshError('ERR_QUEUE_FULL', `outbox full (${this.#max} messages)`);
    }
    const freed = replacing ? (this.#sizes.get(replaces!) ?? 0) : 0;
    if (this.#queuedBytes - freed + entry.wire.length > this.#maxBytes) {
      throw new PushmeshError('ERR_QUEUE_FULL', `outbox full (${this.#maxBytes} bytes)`);
    }
    const seq = this.#nextSeq++;
    const p: Pending = { seq, entry, urgency: URGENCIES.indexOf(entry.urgency), now, key, replaces: replacing ? replaces : undefined, replacesPending: pendingReplaced, superseded: false };
    if (pendingReplaced) {
      pendingReplaced.superseded = true;
      this.#pendingLive--;
    }
    this.#pending.push(p);
    this.#pendingBySeq.set(seq, p);
    this.#pendingLive++;
    // Counted in the bytes bound from now on (the entry it replaces is freed at the commit).
    this.#sizes.set(seq, entry.wire.length);
    this.#queuedBytes += entry.wire.length;
    if (key !== null) this.#byReplace.set(key, seq);
    return p;
  }

  /** The outbox's part of a TurnWriter transaction: deletes, retry times, then the accepted entries (each after the removal of the one it replaces). */
  #take(): TurnWrites | undefined {
    const seqs = this.#pendingDeletes;
    const retries = [...this.#pendingRetries];
    const added = this.#pending;
    if (seqs.length === 0 && retries.length === 0 && added.length === 0) return undefined;
    this.#pendingDeletes = [];
    this.#pending = [];
    const s = this.#stmts;
    return {
      run: () => {
        for (const seq of seqs) s.remove.run(seq);
        for (const [seq, at] of retries) s.retry.run(at, seq);
        for (const p of added) {
          if (p.replaces !== undefined) s.remove.run(p.replaces);
          const e = p.entry;
          s.insert.run(p.seq, e.id, e.dest, e.replace, p.urgency, e.expiresAt, p.now, e.wire);
        }
      },
      done: (err) => {
        if (err === null) {
          for (const [seq, at] of retries) if (this.#pendingRetries.get(seq) === at) this.#pendingRetries.delete(seq);
          for (const p of added) this.#committed(p);
          return;
        }
        // Nothing of it is on disk. Deletes and retry times stay pending (the health's probe writes them); accepted entries are refused.
        this.#pendingDeletes = seqs.length === 0 ? this.#pendingDeletes : seqs.concat(this.#pendingDeletes);
        for (let i = added.length - 1; i >= 0; i--) this.#refused(added[i]!, err);
      },
    };
  }

  /** An accepted entry's row is committed: the entry it replaces goes, and it becomes due (unless a later one of its turn replaced it). */
  #committed(p: Pending): void {
    this.#pendingBySeq.delete(p.seq);
    let replacedId: string | null = null;
    if (p.replaces !== undefined) {
      const old = this.#schedule.remove(p.replaces);
      if (old) {
        replacedId = old.id;
        this.#dropWire(old.seq);
        this.#pendingRetries.delete(old.seq);
      } else if (p.replacesPending) replacedId = p.replacesPending.entry.id;
      this.#dropSize(p.replaces);
    }
    if (!p.superseded) {
      this.#pendingLive--;
      const e = p.entry;
      if (this.#wireBytes + e.wire.length <= WIRE_CACHE_BYTES) {
        this.#wires.set(p.seq, e.wire);
        this.#wireBytes += e.wire.length;
      }
      this.#schedule.add({ seq: p.seq, id: e.id, dest: e.dest, replace: e.replace, urgency: p.urgency, expiresAt: e.expiresAt, attempts: 0, nextAttemptAt: p.now }, p.now);
    }
    p.result = { seq: p.seq, replacedId };
    p.settle?.resolve(p.result);
  }

  /** An accepted entry's commit failed: it is forgotten, and the Topic it took goes back to the entry it would have replaced. */
  #refused(p: Pending, err: unknown): void {
    this.#pendingBySeq.delete(p.seq);
    if (!p.superseded) this.#pendingLive--;
    this.#dropSize(p.seq);
    if (p.key !== null && this.#byReplace.get(p.key) === p.seq) {
      // (Refused last first: an entry of the same turn that this one replaced is still pending here.)
      if (p.replaces !== undefined && (this.#schedule.get(p.replaces) || this.#pendingBySeq.has(p.replaces))) this.#byReplace.set(p.key, p.replaces);
      else this.#byReplace.delete(p.key);
    }
    p.error = err;
    p.settle?.reject(err);
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
   * Removes an entry (delivered or refused). On disk with the next commit
   * (TurnWriter `soon`: within 10 ms, in one transaction with the other
   * writes of that time; at once when DELETE_BATCH are waiting). A crash
   * before that sends the entry again: the destination drops it as a
   * duplicate.
   */
  remove(seq: number): void {
    const s = this.#schedule.remove(seq);
    if (!s) return;
    this.#forget(s);
    this.#pendingDeletes.push(seq);
    if (this.#pendingDeletes.length >= DELETE_BATCH && this.#health.writable) this.#writer.flush();
    else this.#writer.soon();
  }

  /**
   * Writes what is pending now (deletes, retry times, accepted entries),
   * with the other stores' pending writes; the node calls it before
   * closing the store. Never throws: a failed write stays pending and is
   * tried again (StorageHealth's probe, the next commit). Returns whether
   * nothing is left pending.
   */
  flush(): boolean {
    if (!this.#db.open) return this.#pendingDeletes.length === 0 && this.#pendingRetries.size === 0;
    this.#writer.flush();
    return this.#pendingDeletes.length === 0 && this.#pendingRetries.size === 0;
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
   * (so the entry is never stuck "in delivery"), then the disk with the
   * next commit (the disk's time only matters after a restart, which
   * makes everything due at once anyway). Never throws.
   */
  scheduleRetry(seq: number, at: number, now: number = Date.now()): void {
    if (!this.#schedule.get(seq)) return;
    this.#schedule.retry(seq, at, now);
    if (!this.#db.open) return;
    this.#pendingRetries.set(seq, at);
    this.#writer.soon();
  }

  /** Removes and returns expired entries (those in flight expire when their attempt fails); their deletes go with the next commit. Never throws. */
  takeExpired(now: number): OutboxEntry[] {
    const gone = this.#schedule.takeExpired(now);
    if (gone.length === 0) return [];
    const entries = gone.map((s) => this.#entry(s));
    for (const s of gone) {
      this.#forget(s);
      this.#pendingDeletes.push(s.seq);
    }
    this.#writer.soon();
    return entries;
  }

  /** Whether entry `seq` is still queued (not delivered, expired, refused or replaced by a newer one with its Topic). */
  has(seq: number): boolean {
    return this.#schedule.get(seq) !== undefined;
  }

  /** Entries waiting (in flight included): all, or those for `dest`. */
  depth(dest?: string): number {
    if (dest === undefined) return this.#schedule.size + this.#pendingLive;
    let n = this.#schedule.countFor(dest);
    for (const p of this.#pending) if (!p.superseded && p.entry.dest === dest) n++;
    return n;
  }

  depthByDestination(): Map<string, number> {
    return this.#schedule.counts();
  }
}

function replaceKey(dest: string, replace: string): string {
  return `${dest}\u0000${replace}`;
}
