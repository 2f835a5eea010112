import { EventEmitter } from 'node:events';
import type { Db } from '../store/database.js';
import { storageHealthOf, type StorageHealth } from '../store/storage-health.js';
import { turnWriterOf, type TurnWriter, type TurnWrites } from '../store/turn-writer.js';
import type { DeliveryState, DeliveryStatus } from '../core/delivery-status.js';

interface Row {
  id: string;
  dest: string;
  state: string;
  reason: string | null;
  receipt: number;
  updated: number;
  expires: number | null;
}

const toStatus = (r: Row): DeliveryStatus => {
  const s: DeliveryStatus = { id: r.id, to: r.dest, state: r.state as DeliveryState, receipt: r.receipt === 1, updated: r.updated };
  if (r.reason !== null) s.reason = r.reason;
  return s;
};

/** Rows not yet written (waiting for their commit, or kept while the disk refuses writes): at most this many, the oldest dropped first. */
const MAX_PENDING = 10_000;
/** Statuses kept in memory after their write, most recently changed last: reads and transitions of these need no query. */
const RECENT = 4_096;

/** Final states: nothing moves a message out of them (a late receipt aside, see `update`). */
const FINAL = new Set<DeliveryState>(['delivered', 'expired', 'rejected', 'replaced']);

/**
 * The delivery status of messages this node sent (SQLite table
 * `delivery_status`, so it survives restarts), bounded to the newest
 * `maxEntries`. Emits `change` with the new status on every transition.
 *
 * Statuses live in memory first: a new status or a transition is seen
 * at once by `get`, and written with the node's next commit (TurnWriter
 * `soon`, in the transaction of the outbox row it belongs to when both
 * come in one turn). The most recently changed statuses stay in memory,
 * so a transition never reads back the row it just wrote. A write that
 * fails (disk full: StorageHealth) never throws: the rows stay pending
 * (at most 10 000, the oldest dropped first) and are written when the
 * store takes writes again. A status is a report, not the message:
 * losing one to a crash before its commit loses no message.
 */
export class StatusStore extends EventEmitter<{ change: [DeliveryStatus] }> {
  readonly #max: number;
  readonly #stmts;
  readonly #db: Db;
  readonly #health: StorageHealth;
  readonly #writer: TurnWriter;
  /** Rows to write with the next commit: id → row (the newest state). */
  #dirty = new Map<string, Row>();
  /** Rows written, most recently changed last: id → row. */
  readonly #recent = new Map<string, Row>();
  #writes = 0;

  constructor(db: Db, opts: { maxEntries?: number; now?: () => number; health?: StorageHealth; writer?: TurnWriter } = {}) {
    super();
    this.#max = opts.maxEntries ?? 100_000;
    this.#db = db;
    this.#health = opts.health ?? storageHealthOf(db);
    this.#writer = opts.writer ?? turnWriterOf(db, this.#health);
    db.exec(`
      CREATE TABLE IF NOT EXISTS delivery_status (
        id TEXT PRIMARY KEY,
        dest TEXT NOT NULL,
        state TEXT NOT NULL,
        reason TEXT,
        receipt INTEGER NOT NULL,
        updated INTEGER NOT NULL
      );
      -- The oldest are trimmed in rowid order: every write is an INSERT OR REPLACE, which gives the row a new rowid, so
      -- rowid order is the order of the last change; no index on \`updated\` to write on every commit.
      DROP INDEX IF EXISTS delivery_status_updated;
    `);
    // Stores made before the column existed.
    if (!(db.pragma('table_info(delivery_status)') as { name: string }[]).some((c) => c.name === 'expires')) {
      db.exec('ALTER TABLE delivery_status ADD COLUMN expires INTEGER');
    }
    this.#stmts = {
      awaiting: db.prepare<[], { id: string; expires: number }>(
        "SELECT id, expires FROM delivery_status WHERE receipt = 1 AND state IN ('queued', 'sent') AND expires IS NOT NULL",
      ),
      get: db.prepare<[string], Row>('SELECT * FROM delivery_status WHERE id = ?'),
      latest: db.prepare<[number], Row>('SELECT * FROM delivery_status ORDER BY rowid DESC LIMIT ?'),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM delivery_status'),
      trim: db.prepare<[number]>('DELETE FROM delivery_status WHERE rowid IN (SELECT rowid FROM delivery_status ORDER BY rowid LIMIT ?)'),
      put: db.prepare<[string, string, string, string | null, number, number, number | null]>(
        'INSERT OR REPLACE INTO delivery_status (id, dest, state, reason, receipt, updated, expires) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
    };
    this.now = opts.now ?? Date.now;
    this.#writer.add({ take: () => this.#take() });
  }

  /** Statuses not on disk yet (waiting for their commit, or for the disk to take writes again). */
  get pendingWrites(): number {
    return this.#dirty.size;
  }

  /** The statuses' part of a TurnWriter transaction. */
  #take(): TurnWrites | undefined {
    if (this.#dirty.size === 0) return undefined;
    const rows = this.#dirty;
    this.#dirty = new Map();
    this.#writes += rows.size;
    const trim = this.#writes >= 1000;
    if (trim) this.#writes = 0;
    let trimmed = false;
    return {
      run: () => {
        for (const r of rows.values()) this.#stmts.put.run(r.id, r.dest, r.state, r.reason, r.receipt, r.updated, r.expires);
        if (trim) {
          const n = this.#stmts.count.get()?.n ?? 0;
          if (n > this.#max) trimmed = this.#stmts.trim.run(n - this.#max).changes > 0;
        }
      },
      done: (err) => {
        if (err === null) {
          // After a trim, memory must not answer for rows the disk no longer has: it starts again from the disk.
          if (trimmed) this.#recent.clear();
          else for (const r of rows.values()) if (!this.#dirty.has(r.id)) this.#remember(r);
          return;
        }
        // Kept for the next commit; a newer state of the same status, set meanwhile, wins.
        const merged = new Map(rows);
        for (const [id, r] of this.#dirty) {
          merged.delete(id);
          merged.set(id, r);
        }
        this.#dirty = merged;
        while (this.#dirty.size > MAX_PENDING) this.#dirty.delete(this.#dirty.keys().next().value!);
        if (trim) this.#writes = 1000;
      },
    };
  }

  #remember(r: Row): void {
    this.#recent.delete(r.id);
    this.#recent.set(r.id, r);
    if (this.#recent.size > RECENT) this.#recent.delete(this.#recent.keys().next().value!);
  }

  #put(row: Row): void {
    this.#dirty.delete(row.id);
    this.#dirty.set(row.id, row);
    this.#recent.delete(row.id);
    if (this.#dirty.size > MAX_PENDING) this.#dirty.delete(this.#dirty.keys().next().value!);
    this.#writer.soon();
  }

  #row(id: string): Row | undefined {
    return this.#dirty.get(id) ?? this.#recent.get(id) ?? (this.#db.open ? this.#stmts.get.get(id) : undefined);
  }

  readonly now: () => number;

  /** A message was accepted for another node; it can no longer be delivered after `expires` (Unix ms). */
  create(id: string, to: string, receipt: boolean, expires: number): DeliveryStatus {
    const now = this.now();
    this.#put({ id, dest: to, state: 'queued', reason: null, receipt: receipt ? 1 : 0, updated: now, expires });
    const s: DeliveryStatus = { id, to, state: 'queued', receipt, updated: now };
    this.emit('change', s);
    return s;
  }

  /** Takes back a status created for a message that was not accepted after all (its outbox commit failed). */
  forget(id: string): void {
    this.#dirty.delete(id);
    this.#recent.delete(id);
  }

  /** Messages that asked for a receipt and have none yet, with the time after which none can come for a delivery. */
  awaitingReceipts(): { id: string; expires: number }[] {
    const out = this.#stmts.awaiting.all().filter((r) => !this.#dirty.has(r.id));
    for (const r of this.#dirty.values()) {
      if (r.receipt === 1 && (r.state === 'queued' || r.state === 'sent') && r.expires !== null) out.push({ id: r.id, expires: r.expires });
    }
    return out;
  }

  get(id: string): DeliveryStatus | undefined {
    const r = this.#row(id);
    return r ? toStatus(r) : undefined;
  }

  /**
   * The `limit` most recently changed statuses, newest first (`GET
   * /msg/status?recent=N`): those not written yet, then those kept in
   * memory after their write, then — when memory holds fewer (after a
   * restart or a trim) — the last written rows on disk.
   */
  recent(limit: number): DeliveryStatus[] {
    const out = new Map<string, Row>();
    const take = (rows: Iterable<Row>): void => {
      for (const r of rows) {
        if (out.size >= limit) return;
        if (!out.has(r.id)) out.set(r.id, r);
      }
    };
    take([...this.#dirty.values()].reverse());
    take([...this.#recent.values()].reverse());
    if (out.size < limit && this.#db.open) take(this.#stmts.latest.iterate(limit));
    return [...out.values()].map(toStatus);
  }

  /**
   * Moves a message to `state`. A final state is kept, except that a receipt
   * (`delivered`) wins over `expired`: a receipt is proof, an expiry at the
   * origin of a message that was sent on is an inference (see
   * ReceiptDeadlines). Returns the new status, or undefined when the
   * message is unknown or the move does not apply.
   */
  update(id: string, state: DeliveryState, reason?: string): DeliveryStatus | undefined {
    const row = this.#row(id);
    const cur = row ? toStatus(row) : undefined;
    if (!row || !cur || cur.state === state) return undefined;
    if (FINAL.has(cur.state) && !(cur.state === 'expired' && state === 'delivered')) return undefined;
    const now = this.now();
    this.#put({ ...row, state, reason: reason ?? null, updated: now });
    const s: DeliveryStatus = { ...cur, state, updated: now };
    if (reason !== undefined) s.reason = reason;
    else delete s.reason;
    this.emit('change', s);
    return s;
  }
}
