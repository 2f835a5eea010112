import type { Db } from '../store/database.js';
import type { Attachment, AttachmentStore } from './types.js';

interface Row {
  node: string;
  relay: string;
  expires: number;
  public_key: Buffer;
  signature: Buffer;
}

/** Attachments in the node's SQLite store (table `route_attachments`, one row per attached node). */
export class SqliteAttachmentStore implements AttachmentStore {
  readonly #stmts;

  constructor(db: Db) {
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
  }

  load(now: number): Attachment[] {
    this.#stmts.prune.run(now);
    return this.#stmts.all.all().map((r) => ({
      node: r.node,
      relay: r.relay,
      expires: r.expires,
      publicKey: new Uint8Array(r.public_key),
      signature: new Uint8Array(r.signature),
    }));
  }

  remove(node: string): void {
    this.#stmts.remove.run(node);
  }

  save(a: Attachment): void {
    this.#stmts.save.run(a.node, a.relay, a.expires, Buffer.from(a.publicKey), Buffer.from(a.signature));
  }
}
