import Database from 'better-sqlite3';
import { join } from 'node:path';
import { PushmeshError } from '../errors/index.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the node's embedded store in its home folder.
 * SQLite in WAL mode: durable across crashes and restarts, one file, no
 * server to run; see docs/architecture.md for why this store.
 */
export function openDatabase(home: string, fileName = 'pushmesh.db'): Db {
  const path = fileName === ':memory:' ? fileName : join(home, fileName);
  let db: Db;
  try {
    db = new Database(path);
  } catch (err) {
    throw new PushmeshError('ERR_IO', `cannot open store ${path}: ${(err as Error).message}`, { cause: err });
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 2000');
  return db;
}
