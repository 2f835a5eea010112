import type { Db } from '../store/database.js';
import { storageHealthOf, type StorageHealth } from '../store/storage-health.js';
import type { Attachment, AttachmentStore } from './types.js';

interface Row {
  node: string;
  relay: string;
  expires: number;
  public_key: Buffer;
  signature: Buffer;
}

/**
 * Attachments in the node's SQLite store (table `route_attachments`, one
 * row per attached node). The routes in memory are the truth; this copy
 * lets a restarted relay keep them. A write that fails (disk full) never
 * throws: it is kept pending (the latest per node) and written when the
 * store takes writes again (StorageHealth's probe).
 */
export class SqliteAttachmentStore implements AttachmentStore {
  readonly #db: Db;
  readonly #stmts;
  readonly #health: StorageHealth;
  /** Writes that failed: node → the attachment to save, or null to remove. */
  readonly #pending = new Map<string, Attachment | null>();

  constructor(db: Db, opts: { health?: StorageHealth } = {}) {
    this.#db = db;
    this.#health = opts.health ?? storageHealthOf(db);
    db.exec(`
      CREATE TABLE IF NOT EXISTS route_attachments (
        node TEXT PRIMARY KEY,
        relay TEXT NOT NULL,
        expires INTEGER NOT NULL,
        public_key BLOB NOT NULL,
        signature BLOB NOT NULL
      );
    `);
    this.#stmts = {
      save: db.prepare<[string, string, number, Buffer, Buffer]>('INSERT OR REPLACE INTO route_attachments (node, relay, expires, public_key, signature) VALUES (?, ?, ?, ?, ?)'),
      all: db.prepare<[], Row>('SELECT node, relay, expires, public_key, signature FROM route_attachments'),
      prune: db.prepare<[number]>('DELETE FROM route_attachments WHERE expires <= ?'),
      remove: db.prepare<[string]>('DELETE FROM route_attachments WHERE node = ?'),
    };
    this.#health.retry(() => this.#flushPending());
  }

  load(now: number): Attachment[] {
    try {
      this.#health.write('route attachments', () => this.#stmts.prune.run(now));
    } catch {
      // a full disk at start: expired rows stay on disk, and are left out below
    }
    return this.#stmts.all
      .all()
      .filter((r) => r.expires > now)
      .map((r) => ({
        node: r.node,
        relay: r.relay,
        expires: r.expires,
        publicKey: new Uint8Array(r.public_key),
        signature: new Uint8Array(r.signature),
      }));
  }

  remove(node: string): void {
    this.#put(node, null);
  }

  save(a: Attachment): void {
    this.#put(a.node, a);
  }

  /** Writes waiting for the store to take writes again. */
  get pendingWrites(): number {
    return this.#pending.size;
  }

  #put(node: string, a: Attachment | null): void {
    if (this.#pending.size > 0) {
      this.#pending.set(node, a);
      this.#health.pending();
      return;
    }
    try {
      this.#health.write('a route attachment', () => this.#apply(node, a));
    } catch {
      this.#pending.set(node, a);
      this.#health.pending();
    }
  }

  #apply(node: string, a: Attachment | null): void {
    if (a) this.#stmts.save.run(a.node, a.relay, a.expires, Buffer.from(a.publicKey), Buffer.from(a.signature));
    else this.#stmts.remove.run(node);
  }

  #flushPending(): boolean {
    if (this.#pending.size === 0 || !this.#db.open) return true;
    const entries = [...this.#pending];
    try {
      this.#health.write('route attachments', () =>
        this.#db.transaction(() => {
          for (const [node, a] of entries) this.#apply(node, a);
        })(),
      );
    } catch {
      return false;
    }
    for (const [node, a] of entries) if (this.#pending.get(node) === a) this.#pending.delete(node);
    return this.#pending.size === 0;
  }
}
