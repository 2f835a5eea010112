import { EventEmitter } from 'node:events';
import { PushmeshError } from '../errors/index.js';

/** How often writes that failed are tried again while the store cannot be written. */
export const STORAGE_PROBE_MS = 1000;

/** SQLite result codes that say the store cannot be written now (space, I/O, permissions, a damaged file), not that the statement is wrong. */
const STORAGE_CODES = /^SQLITE_(FULL|IOERR|CANTOPEN|READONLY|CORRUPT|NOTADB|PROTOCOL|BUSY|LOCKED)/;

/** Whether `err` is a failure of the storage itself (disk full, I/O error), as opposed to a bug or a closed database. */
export function isStorageFailure(err: unknown): boolean {
  if (err instanceof PushmeshError) return err.code === 'ERR_STORAGE_FULL';
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && STORAGE_CODES.test(code)) return true;
  // Node's own file errors (a reserve or lock file, a -shm that cannot grow).
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'EIO' || code === 'EROFS';
}

/** The typed error for a write that failed because the store cannot be written; the SQLite error is its `cause`. */
export function storageError(err: unknown, what: string): PushmeshError {
  if (err instanceof PushmeshError && err.code === 'ERR_STORAGE_FULL') return err;
  const code = (err as { code?: unknown } | null)?.code;
  const detail = err instanceof Error ? err.message : String(err);
  return new PushmeshError('ERR_STORAGE_FULL', `cannot write ${what} to the node's store: ${detail}${typeof code === 'string' ? ` (${code})` : ''}`, { cause: err });
}

export interface StorageHealthEvents {
  /** The store became unwritable (`ok` false, with the error) or writable again (`ok` true). */
  change: [ok: boolean, err: PushmeshError | null];
}

/**
 * Whether the node's store can be written now, shared by every component
 * that writes it (outbox, delivery status, routes, signed config). A write
 * goes through `write()`: a storage failure marks the store unwritable and
 * comes out as `ERR_STORAGE_FULL` (cause kept); the next write that
 * succeeds marks it writable again. Components that keep writes pending
 * in memory (deletes of delivered messages, retry times) register a
 * `retry` function: while the store is unwritable it is called every
 * `probeMs`, so what is pending reaches the disk as soon as space returns,
 * with no new work and no restart needed. Nothing here throws from a timer.
 */
export class StorageHealth extends EventEmitter<StorageHealthEvents> {
  readonly #probeMs: number;
  readonly #now: () => number;
  readonly #retries = new Set<() => boolean>();
  #error: PushmeshError | null = null;
  #since = 0;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  readonly #beforeRetry: (() => void) | null;

  constructor(opts: { probeMs?: number; now?: () => number; beforeRetry?: () => void } = {}) {
    super();
    this.#probeMs = opts.probeMs ?? STORAGE_PROBE_MS;
    this.#now = opts.now ?? Date.now;
    this.#beforeRetry = opts.beforeRetry ?? null;
  }

  /** Whether the last write succeeded. */
  get writable(): boolean {
    return this.#error === null;
  }

  /** The last write failure while unwritable, else null. */
  get error(): PushmeshError | null {
    return this.#error;
  }

  /** When the store became unwritable (Unix ms), 0 while writable. */
  get since(): number {
    return this.#error ? this.#since : 0;
  }

  /**
   * Runs a synchronous write. On a storage failure: marks the store
   * unwritable and throws ERR_STORAGE_FULL (nothing of the write is on
   * disk: SQLite rolled it back). Other errors pass through unchanged.
   */
  write<T>(what: string, fn: () => T): T {
    let out: T;
    try {
      out = fn();
    } catch (err) {
      if (!isStorageFailure(err)) throw err;
      const e = storageError(err, what);
      this.failed(e);
      throw e;
    }
    this.succeeded();
    return out;
  }

  /** A write failed with `err` (already handled by its caller, e.g. kept pending): marks the store unwritable. */
  failed(err: unknown): void {
    const e = storageError(err, 'data');
    const was = this.#error;
    this.#error = e;
    if (!was) {
      this.#since = this.#now();
      this.#emit(false, e);
    }
    this.#arm();
  }

  /** A write succeeded: the store is writable (again); what others keep pending is tried at the next tick. */
  succeeded(): void {
    if (!this.#error) return;
    this.#error = null;
    this.#emit(true, null);
    this.#arm();
  }

  /**
   * Registers a function that writes what its owner keeps pending and
   * returns true when nothing is left pending (false: try again later).
   * Called on every probe tick while writes are failing or pending.
   * Returns a function that unregisters it.
   */
  retry(fn: () => boolean): () => void {
    this.#retries.add(fn);
    return () => this.#retries.delete(fn);
  }

  /** Something is pending: probe even if the store looks writable (a write failed in a component that retries by itself). */
  pending(): void {
    this.#arm();
  }

  /** Stops the probe timer. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #arm(): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(() => this.#probe(), this.#probeMs);
    this.#timer.unref();
  }

  #probe(): void {
    this.#timer = null;
    if (this.#closed) return;
    let done = true;
    if (this.#error && this.#beforeRetry) {
      try {
        this.#beforeRetry();
      } catch {
        // no room for it either: the next tick tries again
      }
    }
    for (const fn of [...this.#retries]) {
      try {
        if (!fn()) done = false;
      } catch (err) {
        done = false;
        if (isStorageFailure(err)) this.failed(err);
      }
    }
    if (!done) this.#arm();
  }

  #emit(ok: boolean, err: PushmeshError | null): void {
    try {
      this.emit('change', ok, err);
    } catch {
      // a listener must not make a write (or the probe timer) throw
    }
  }
}

const byDb = new WeakMap<object, StorageHealth>();

/**
 * The one StorageHealth of a database connection, shared by every store
 * that writes it. While writes fail, each probe first checkpoints the WAL
 * (PASSIVE): once some room is back, that moves the WAL's pages into the
 * database file and lets SQLite reuse the WAL from its start, so the space
 * freed is not all taken by the WAL again.
 */
export function storageHealthOf(db: object): StorageHealth {
  let h = byDb.get(db);
  if (!h) {
    const pragma = (db as { pragma?: unknown; open?: unknown }).pragma;
    const checkpoint =
      typeof pragma === 'function'
        ? (): void => {
            if ((db as { open?: boolean }).open) (pragma as (s: string) => unknown).call(db, 'wal_checkpoint(PASSIVE)');
          }
        : undefined;
    h = new StorageHealth(checkpoint ? { beforeRetry: checkpoint } : {});
    byDb.set(db, h);
  }
  return h;
}
