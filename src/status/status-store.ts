import { EventEmitter } from 'node:events';
import type { Db } from '../store/database.js';
import { storageHealthOf, type StorageHealth } from '../store/storage-health.js';
import type { DeliveryState, DeliveryStatus } from './types.js';

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

/** Statuses whose write failed, kept in memory until the disk takes them (then the oldest go). */
const MAX_PENDING = 10_000;

/** Final states: nothing moves a message out of them (a late receipt aside, see `update`). */
const FINAL = new Set<DeliveryState>(['delivered', 'expired', 'rejected', 'replaced']);

/**
 * The delivery status of messages this node sent (SQLite table
 * `delivery_status`, so it survives restarts), bounded to the newest
 * `maxEntries`. Emits `change` with the new status on every transition.
 *
 * A write that fails (disk full: StorageHealth) never throws: the status
 * is kept in memory (at most 10 000, the oldest dropped first), answered
 * from there, and written when the store takes writes again. A status is
 * a report, not the message: losing one to a crash while the disk is full
 * loses no message.
 */
export class StatusStore extends EventEmitter<{ change: [DeliveryStatus] }> {
  readonly #max: number;
  readonly #stmts;
  readonly #db: Db;
  readonly #health: StorageHealth;
  /** Rows whose write failed, newest last: id → row. */
  readonly #pending = new Map<string, Row>();
  #writes = 0;

  constructor(db: Db, opts: { maxEntries?: number; now?: () => number; health?: StorageHealth } = {}) {
    super();
    this.#max = opts.maxEntries ?? 100_000;
    this.#db = db;
    this.#health = opts.health ?? storageHealthOf(db);
    db.exec(`
      CREATE TABLE IF NOT EXISTS delivery_status (
        id TEXT PRIMARY KEY,
        dest TEXT NOT NULL,
        state TEXT NOT NULL,
        reason TEXT,
        receipt INTEGER NOT NULL,
        updated INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS delivery_status_updated ON delivery_status (updated);
    `);
    // Stores made before the column existed.
    if (!(db.pragma('table_info(delivery_status)') as { name: string }[]).some((c) => c.name === 'expires')) {
      db.exec('ALTER TABLE delivery_status ADD COLUMN expires INTEGER');
    }
    this.#stmts = {
      insert: db.prepare<[string, string, string, number, number, number]>(
        'INSERT OR REPLACE INTO delivery_status (id, dest, state, reason, receipt, updated, expires) VALUES (?, ?, ?, NULL, ?, ?, ?)',
      ),
      awaiting: db.prepare<[], { id: string; expires: number }>(
        "SELECT id, expires FROM delivery_status WHERE receipt = 1 AND state IN ('queued', 'sent') AND expires IS NOT NULL",
      ),
      get: db.prepare<[string], Row>('SELECT * FROM delivery_status WHERE id = ?'),
      update: db.prepare<[string, string | null, number, string]>('UPDATE delivery_status SET state = ?, reason = ?, updated = ? WHERE id = ?'),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM delivery_status'),
      trim: db.prepare<[number]>('DELETE FROM delivery_status WHERE id IN (SELECT id FROM delivery_status ORDER BY updated ASC LIMIT ?)'),
      put: db.prepare<[string, string, string, string | null, number, number, number | null]>(
        'INSERT OR REPLACE INTO delivery_status (id, dest, state, reason, receipt, updated, expires) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
    };
    this.now = opts.now ?? Date.now;
    this.#health.retry(() => this.#flushPending());
  }

  /** Statuses held in memory because their write failed. */
  get pendingWrites(): number {
    return this.#pending.size;
  }

  /** Writes `row` now, or keeps it pending (never throws for a storage failure). */
  #write(row: Row, fn: () => unknown): void {
    if (this.#pending.size === 0) {
      try {
        this.#health.write('a delivery status', fn);
        return;
      } catch (err) {
        if (!(err instanceof Error) || (err as { code?: string }).code !== 'ERR_STORAGE_FULL') throw err;
      }
    }
    this.#pending.delete(row.id);
    this.#pending.set(row.id, row);
    if (this.#pending.size > MAX_PENDING) this.#pending.delete(this.#pending.keys().next().value!);
    this.#health.pending();
  }

  /** Writes the pending rows, oldest first; true when none is left. */
  #flushPending(): boolean {
    if (this.#pending.size === 0 || !this.#db.open) return true;
    const rows = [...this.#pending.values()];
    try {
      this.#health.write('delivery statuses', () =>
        this.#db.transaction(() => {
          for (const r of rows) this.#stmts.put.run(r.id, r.dest, r.state, r.reason, r.receipt, r.updated, r.expires);
        })(),
      );
    } catch {
      return false;
    }
    for (const r of rows) if (this.#pending.get(r.id) === r) this.#pending.delete(r.id);
    return this.#pending.size === 0;
  }

  #row(id: string): Row | undefined {
    return this.#pending.get(id) ?? this.#stmts.get.get(id);
  }

  readonly now: () => number;

  /** A message was accepted for another node; it can no longer be delivered after `expires` (Unix ms). */
  create(id: string, to: string, receipt: boolean, expires: number): DeliveryStatus {
    const now = this.now();
    const row: Row = { id, dest: to, state: 'queued', reason: null, receipt: receipt ? 1 : 0, updated: now, expires };
    this.#write(row, () => this.#stmts.insert.run(id, to, 'queued', receipt ? 1 : 0, now, expires));
    if (++this.#writes % 1000 === 0) this.#trim();
    const s: DeliveryStatus = { id, to, state: 'queued', receipt, updated: now };
    this.emit('change', s);
    return s;
  }

  /** Messages that asked for a receipt and have none yet, with the time after which none can come for a delivery. */
  awaitingReceipts(): { id: string; expires: number }[] {
    const out = this.#stmts.awaiting.all().filter((r) => !this.#pending.has(r.id));
    for (const r of this.#pending.values()) {
      if (r.receipt === 1 && (r.state === 'queued' || r.state === 'sent') && r.expires !== null) out.push({ id: r.id, expires: r.expires });
    }
    return out;
  }

  get(id: string): DeliveryStatus | undefined {
    const r = this.#row(id);
    return r ? toStatus(r) : undefined;
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
    this.#write({ ...row, state, reason: reason ?? null, updated: now }, () => this.#stmts.update.run(state, reason ?? null, now, id));
    const s: DeliveryStatus = { ...cur, state, updated: now };
    if (reason !== undefined) s.reason = reason;
    else delete s.reason;
    this.emit('change', s);
    return s;
  }

  #trim(): void {
    try {
      const n = this.#stmts.count.get()?.n ?? 0;
      if (n > this.#max) this.#health.write('delivery statuses', () => this.#stmts.trim.run(n - this.#max));
    } catch {
      // the next trim (1000 writes later) tries again
    }
  }
}
