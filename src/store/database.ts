import Database from 'better-sqlite3';
import { chmodSync, closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { PushmeshError } from '../errors/index.js';
import { HOME_FILE_MODE } from '../home/home-modes.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the node's embedded store in its home folder.
 * SQLite in WAL mode: durable across crashes and restarts, one file, no
 * server to run; see docs/architecture.md for why this store.
 *
 * The file is created 0600 before SQLite opens it (SQLite gives the
 * `-wal` and `-shm` files it creates the database file's mode), and the
 * three are set to 0600 after opening in case they existed looser: the
 * outbox holds message tokens (docs/configuration.md, "Home folder").
 */
export function openDatabase(home: string, fileName = 'pushmesh.db'): Db {
  const memory = fileName === ':memory:';
  const path = memory ? fileName : join(home, fileName);
  let db: Db;
  try {
    if (!memory) {
      closeSync(openSync(path, 'a', HOME_FILE_MODE));
      chmodSync(path, HOME_FILE_MODE);
    }
    db = new Database(path);
  } catch (err) {
    throw new PushmeshError('ERR_IO', `cannot open store ${path}: ${(err as Error).message}`, { cause: err });
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 2000');
  if (!memory) {
    for (const side of [`${path}-wal`, `${path}-shm`]) {
      try {
        chmodSync(side, HOME_FILE_MODE);
      } catch {
        // not created (yet): SQLite creates it with the database file's mode
      }
    }
  }
  return db;
}
