import { EventEmitter } from 'node:events';
import type { Db } from '../store/database.js';
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

/** Final states: nothing moves a message out of them (a late receipt aside, see `update`). */
const FINAL = new Set<DeliveryState>(['delivered', 'expired', 'rejected', 'replaced']);

/**
 * The delivery status of messages this node sent (SQLite table
 * `delivery_status`, so it survives restarts), bounded to the newest
 * `maxEntries`. Emits `change` with the new status on every transition.
 */
export class StatusStore extends EventEmitter<{ change: [DeliveryStatus] }> {
  readonly #max: number;
  readonly #stmts;
  #writes = 0;

  constructor(db: Db, opts: { maxEntries?: number; now?: () => number } = {}) {
    super();
    this.#max = opts.maxEntries ?? 100_000;
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
    };
    this.now = opts.now ?? Date.now;
  }

  readonly now: () => number;

  /** A message was accepted for another node; it can no longer be delivered after `expires` (Unix ms). */
  create(id: string, to: string, receipt: boolean, expires: number): DeliveryStatus {
    const now = this.now();
    this.#stmts.insert.run(id, to, 'queued', receipt ? 1 : 0, now, expires);
    if (++this.#writes % 1000 === 0) this.#trim();
    const s: DeliveryStatus = { id, to, state: 'queued', receipt, updated: now };
    this.emit('change', s);
    return s;
  }

  /** Messages that asked for a receipt and have none yet, with the time after which none can come for a delivery. */
  awaitingReceipts(): { id: string; expires: number }[] {
    return this.#stmts.awaiting.all();
  }

  get(id: string): DeliveryStatus | undefined {
    const r = this.#stmts.get.get(id);
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
    const cur = this.get(id);
    if (!cur || cur.state === state) return undefined;
    if (FINAL.has(cur.state) && !(cur.state === 'expired' && state === 'delivered')) return undefined;
    const now = this.now();
    this.#stmts.update.run(state, reason ?? null, now, id);
    const s: DeliveryStatus = { ...cur, state, updated: now };
    if (reason !== undefined) s.reason = reason;
    else delete s.reason;
    this.emit('change', s);
    return s;
  }

  #trim(): void {
    const n = this.#stmts.count.get()?.n ?? 0;
    if (n > this.#max) this.#stmts.trim.run(n - this.#max);
  }
}
