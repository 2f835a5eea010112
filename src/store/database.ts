import Database from 'better-sqlite3';
import { chmodSync, closeSync, openSync, renameSync, rmSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { PushmeshError } from '../errors/index.js';
import { HOME_FILE_MODE } from '../home/home-modes.js';
import { isStorageFailure } from './storage-health.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the node's embedded store in its home folder.
 * SQLite in WAL mode: durable across crashes and restarts, one file, no
 * server to run; see docs/architecture.md for why this store.
 *
 * A new store is made under a temporary name and renamed into place once
 * SQLite has written its header, so a `pushmesh.db` of zero bytes is never
 * one this code left: it is a damaged or emptied store (openNodeStore).
 * The files are 0600 (SQLite gives the `-wal` and `-shm` files it creates
 * the database file's mode), set again after opening in case they existed
 * looser: the outbox holds message tokens (docs/configuration.md, "Home
 * folder").
 *
 * On a full disk a store whose `-shm` file is gone cannot map its
 * shared-memory index; it is then opened in exclusive locking mode, which
 * keeps that index in the process's memory (one node per home holds the
 * home's lock anyway).
 */
export function openDatabase(home: string, fileName = 'pushmesh.db'): Db {
  return openAt(home, fileName).db;
}

function openAt(home: string, fileName: string, only = false): { db: Db; exclusive: boolean } {
  const memory = fileName === ':memory:';
  const path = memory ? fileName : join(home, fileName);
  let db: Db;
  let exclusive = only;
  try {
    if (!memory && statOrNull(path) === null && statOrNull(`${path}-wal`) === null) createStoreFile(path);
    try {
      db = connect(path, only);
    } catch (err) {
      if (memory || !isStorageFailure(err)) throw err;
      db = connect(path, true);
      exclusive = true;
    }
  } catch (err) {
    throw new PushmeshError('ERR_IO', `cannot open store ${path}: ${(err as Error).message}${codeOf(err)}`, { cause: err });
  }
  if (!memory) {
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      try {
        chmodSync(file, HOME_FILE_MODE);
      } catch {
        // not created (yet): SQLite creates it with the database file's mode
      }
    }
  }
  return { db, exclusive };
}

function connect(path: string, exclusive: boolean): Db {
  const db = new Database(path);
  try {
    if (exclusive) db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 2000');
    // Checkpoint every 1 MiB of WAL (SQLite's default is 4 MiB): on a small disk the WAL must not take all the room
    // before its pages can go to the database file (a checkpoint then needs room that the WAL itself has taken).
    db.pragma('wal_autocheckpoint = 256');
    db.prepare('SELECT count(*) FROM sqlite_master').get(); // the first read maps the WAL index: fail here, not later
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** A new empty store with its header written, put in place by a rename (never a zero-length `pushmesh.db`). */
function createStoreFile(path: string): void {
  const tmp = `${path}.new-${process.pid}`;
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  closeSync(openSync(tmp, 'w', HOME_FILE_MODE));
  chmodSync(tmp, HOME_FILE_MODE);
  const db = new Database(tmp);
  try {
    db.pragma('journal_mode = WAL'); // persistent in the header, which this writes
    db.exec('CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  } finally {
    db.close();
  }
  for (const f of [`${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
  renameSync(tmp, path);
}

export interface OpenNodeStoreOptions {
  /** Start even when the store is damaged or emptied: move it aside and start empty (`--accept-store-loss`). */
  acceptLoss?: boolean;
  /** Where warnings go (one line each). */
  warn?: (fields: Record<string, unknown>, msg: string) => void;
  /** For tests: the time used in the name of a store moved aside. */
  now?: () => number;
}

/**
 * Opens the node's store (`pushmesh.db`) for `pushmesh run`, checking that
 * it is the store the node left (docs/node.md, "A damaged store"):
 *
 * - a zero-length `pushmesh.db` (never one this code leaves, see
 *   openDatabase), or a `-wal` without its database file;
 * - `-wal` missing after an unclean stop: the store says a node had it
 *   open (`store_meta` `open` = 1, written and checkpointed at each start,
 *   set to 0 at a clean close) and the WAL, which held everything since,
 *   is gone;
 * - `PRAGMA quick_check` failing, or a file that is not an SQLite database.
 *
 * Each refuses the start with ERR_STORE_DAMAGED: one line naming the file
 * and what was found; nothing is changed. With `acceptLoss`, the damaged
 * files are renamed `pushmesh.db.damaged-<time>` (kept for inspection) and
 * an empty store is started, or, for a missing WAL, the database file is
 * used as it is; a warning says so.
 */
export function openNodeStore(home: string, opts: OpenNodeStoreOptions = {}): Db {
  const path = join(home, 'pushmesh.db');
  const warn = opts.warn ?? (() => undefined);
  const db0 = statOrNull(path);
  const wal0 = statOrNull(`${path}-wal`);
  if (db0 && db0.size === 0) return damaged(home, path, `is empty (0 bytes): the messages it held are gone`, opts);
  if (!db0 && wal0 && wal0.size > 0) return damaged(home, path, `is missing but its write-ahead log ${path}-wal (${wal0.size} bytes) is there`, opts);
  let opened: { db: Db; exclusive: boolean };
  try {
    // The node is the store's only user (the home's lock): SQLite's exclusive locking mode takes its locks once, not
    // ≈ 7 fcntl calls per transaction, and keeps the WAL index in memory (no -shm file).
    opened = openAt(home, 'pushmesh.db', true);
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    const code = (cause as { code?: unknown } | undefined)?.code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') return damaged(home, path, `is not a readable SQLite database (${code})`, opts);
    throw err;
  }
  const { db } = opened;
  let problem: string | null = null;
  try {
    const rows = db.pragma('quick_check(3)') as { quick_check: string }[];
    if (rows[0]?.quick_check !== 'ok') problem = `failed its integrity check (${rows.map((r) => r.quick_check).join('; ')})`;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') problem = `is not a readable SQLite database (${String(code)})`;
    else if (!isStorageFailure(err)) {
      db.close();
      throw err;
    }
  }
  if (problem) {
    db.close();
    return damaged(home, path, problem, opts);
  }
  let wasOpen = false;
  try {
    db.exec('CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    wasOpen = db.prepare<[], { value: string }>("SELECT value FROM store_meta WHERE key = 'open'").get()?.value === '1';
  } catch (err) {
    if (!isStorageFailure(err)) throw err;
  }
  if (wasOpen && wal0 === null) {
    const what = `was not closed by the node that used it, and its write-ahead log ${path}-wal is gone: what it held since the last checkpoint is lost`;
    if (!opts.acceptLoss) {
      db.close();
      throw damagedError(path, what);
    }
    warn({ path, found: 'missing -wal after an unclean stop' }, `store ${path} ${what}; starting with the database file as it is (--accept-store-loss)`);
  }
  markOpen(db, warn);
  return db;
}

/** Records that a node has the store open, on the database file itself (checkpointed), so a lost WAL can be told later. */
function markOpen(db: Db, warn: (fields: Record<string, unknown>, msg: string) => void): void {
  try {
    db.prepare("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('open', '1')").run();
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    if (!isStorageFailure(err)) throw err;
    warn({ err: (err as Error).message }, 'could not mark the store open (disk full?): a WAL lost after a crash now could go unnoticed');
  }
}

/** Closes the node's store, recording a clean close (openNodeStore). Never throws for a full disk. */
export function closeNodeStore(db: Db): void {
  if (!db.open) return;
  try {
    db.prepare("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('open', '0')").run();
  } catch {
    // a full disk or no store_meta table: the next start sees the WAL (kept, as the checkpoint cannot run either) and is content
  }
  db.close();
}

function damagedError(path: string, what: string): PushmeshError {
  return new PushmeshError(
    'ERR_STORE_DAMAGED',
    `store ${path} ${what}; refusing to start (nothing was changed): keep a copy, then start once with --accept-store-loss to move it aside and begin with an empty store`,
  );
}

function damaged(home: string, path: string, what: string, opts: OpenNodeStoreOptions): Db {
  if (!opts.acceptLoss) throw damagedError(path, what);
  const stamp = new Date((opts.now ?? Date.now)()).toISOString().replace(/[:.]/g, '-');
  const aside = `${path}.damaged-${stamp}`;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      renameSync(path + suffix, aside + suffix);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new PushmeshError('ERR_IO', `cannot move ${path + suffix} aside: ${(err as Error).message}`, { cause: err });
    }
  }
  opts.warn?.({ path, movedTo: aside, found: what }, `store ${path} ${what}; moved aside to ${aside}, starting with an empty store (--accept-store-loss)`);
  const db = openAt(home, 'pushmesh.db', true).db;
  markOpen(db, opts.warn ?? (() => undefined));
  return db;
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? ` (${code})` : '';
}
