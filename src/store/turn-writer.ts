import type { Db } from './database.js';
import { storageError, storageHealthOf, type StorageHealth } from './storage-health.js';

/** A store's pending writes, taken for one transaction. */
export interface TurnWrites {
  /** Runs the statements (inside the transaction). */
  run(): void;
  /** How it ended: null when committed; else the error, and nothing of it is on disk. */
  done(err: unknown): void;
}

/** A store that writes through a TurnWriter: `take` hands over what it has pending (undefined: nothing). */
export interface TurnPart {
  take(): TurnWrites | undefined;
}

/** Writes that can wait (deletes of delivered messages, statuses, retry times) wait at most this long for a commit. */
export const SOON_MS = 10;

/**
 * One write transaction per event-loop turn for all the stores of one
 * database (docs/node.md "One transaction per turn"). Each store keeps
 * its pending writes and registers a `TurnPart`; `now()` asks for a
 * commit at the end of the current turn (`setImmediate`: every request
 * and frame read in this turn shares it), `soon()` within `SOON_MS` or
 * with the next `now()`. A commit costs the same few system calls
 * whatever it holds (WAL, `synchronous = NORMAL`), so under load many
 * messages share one.
 *
 * A storage failure marks the store unwritable (StorageHealth) and is
 * handed to every part that wrote in that transaction (it was rolled
 * back as a whole); the parts decide what to keep pending. While the
 * store is unwritable the health's probe calls `flush()` once a second.
 */
export class TurnWriter {
  readonly #db: Db;
  readonly #health: StorageHealth;
  readonly #parts: TurnPart[] = [];
  #immediate: NodeJS.Immediate | null = null;
  #timer: NodeJS.Timeout | null = null;
  #flushing = false;

  constructor(db: Db, health: StorageHealth = storageHealthOf(db)) {
    this.#db = db;
    this.#health = health;
    this.#health.retry(() => this.flush());
  }

  /** Adds a store's part; parts write in the order they were added. Returns a function that removes it. */
  add(part: TurnPart): () => void {
    this.#parts.push(part);
    return () => {
      const i = this.#parts.indexOf(part);
      if (i >= 0) this.#parts.splice(i, 1);
    };
  }

  /** Writes wait that someone waits for: commit at the end of this event-loop turn. */
  now(): void {
    // Not unref'd: an unref'd immediate lets the loop block in poll first (see OutboxDispatcher#schedule).
    this.#immediate ??= setImmediate(() => {
      this.#immediate = null;
      this.flush();
    });
  }

  /** Writes wait that nobody waits for: commit within SOON_MS (with the next `now()` if that comes first). */
  soon(): void {
    if (this.#immediate || this.#timer) return;
    if (!this.#health.writable) {
      this.#health.pending(); // the probe tries once a second, not every 10 ms
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.flush();
    }, SOON_MS);
    this.#timer.unref();
  }

  /**
   * Writes what every part has pending, in one transaction, now. Never
   * throws: a failure goes to the parts. Returns whether it committed
   * (true when there was nothing to write).
   */
  flush(): boolean {
    if (this.#immediate) clearImmediate(this.#immediate);
    if (this.#timer) clearTimeout(this.#timer);
    this.#immediate = null;
    this.#timer = null;
    if (this.#flushing || !this.#db.open) return !this.#flushing;
    const batches: TurnWrites[] = [];
    for (const part of this.#parts) {
      const b = part.take();
      if (b) batches.push(b);
    }
    if (batches.length === 0) return true;
    this.#flushing = true;
    let failure: unknown = null;
    try {
      this.#health.write('messages and their delivery state', () =>
        this.#db.transaction(() => {
          for (const b of batches) b.run();
        })(),
      );
    } catch (err) {
      // ERR_STORAGE_FULL from the health, or another error (a closed store, a bug): either way nothing was committed.
      failure = err instanceof Error ? err : storageError(err, 'messages and their delivery state');
    } finally {
      this.#flushing = false;
    }
    for (const b of batches) {
      try {
        b.done(failure);
      } catch {
        // a part's bookkeeping must not stop the others'
      }
    }
    return failure === null;
  }
}

const byDb = new WeakMap<object, TurnWriter>();

/** The one TurnWriter of a database connection, shared by every store that writes it (`health`: used when it is made). */
export function turnWriterOf(db: Db, health?: StorageHealth): TurnWriter {
  let w = byDb.get(db);
  if (!w) {
    w = new TurnWriter(db, health);
    byDb.set(db, w);
  }
  return w;
}
