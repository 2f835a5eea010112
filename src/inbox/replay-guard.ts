import { PushmeshError } from '../errors/index.js';
import type { Db } from '../store/database.js';

export interface ReplayGuardOptions {
  /** The node's store: state is kept across restarts when given. */
  db?: Db;
  /** How old a message may be at arrival, ms. Default 24 h + 10 min (the longest VAPID token life plus clock skew). */
  windowMs?: number;
  /** How far in the future a message's `time` may be, ms. Default 5 min. */
  futureSkewMs?: number;
  /** Entries held for one sender at most. Default 50 000. */
  maxPerSender?: number;
  /** Entries held in all at most. Default 200 000. */
  maxTotal?: number;
  /** Clock, Unix ms. Default `Date.now`. */
  now?: () => number;
  /** A disk write failed (e.g. SQLITE_FULL): the state stays in memory and is written again on the next flush. Default: a process warning, once per run of failures. */
  onError?: (err: unknown) => void;
  /**
   * Runs the batched write later (default: at the end of the event-loop
   * turn, setImmediate). A node runs it right after it has stored the
   * turn's messages for its apps, so a message is never recorded as seen
   * on disk before it is held (a crash in between would lose it).
   */
  schedule?: (flush: () => void) => void;
}

export type ReplayVerdict = { ok: true } | { ok: false; reason: 'duplicate' | 'stale' | 'future' };

const OK: ReplayVerdict = Object.freeze({ ok: true });
const DUPLICATE: ReplayVerdict = Object.freeze({ ok: false, reason: 'duplicate' });
const STALE: ReplayVerdict = Object.freeze({ ok: false, reason: 'stale' });
const FUTURE: ReplayVerdict = Object.freeze({ ok: false, reason: 'future' });

/** Sender tables whose expired entries one `check` removes, besides the checked sender's own. */
const SWEEP_PER_CHECK = 2;
/** Row in `replay_floors` that holds `forgottenFloor`. */
const FORGOTTEN = '';

/** Disk operations, in the order they happened, written at the end of the event-loop turn. */
const PUT = 0;
const DEL = 1;
const SET_FLOOR = 2;
const DEL_FLOOR = 3;

/** Up to this many entries, a table finds an id by scanning its heap (no Set: a flood of one-entry senders costs less memory). */
const SMALL = 8;
/** Records taken back (`retract`) that are remembered until their message comes again. */
const MAX_RETRACTED = 10_000;

/**
 * One sender's entries: a binary min-heap by time (ids and times in two
 * parallel arrays, so a time is an unboxed double), a Set of its ids once
 * it holds more than SMALL, and its floor. Linked in two lists: the count
 * bucket it is in, and the guard's creation order. Made with its first
 * entry (arrays of exactly one element: no spare capacity).
 */
class SenderTable {
  readonly sender: string;
  floor: number;
  ids: Set<string> | null = null;
  readonly heapIds: string[];
  readonly heapTimes: number[];
  bucketPrev: SenderTable | null = null;
  bucketNext: SenderTable | null = null;
  prev: SenderTable | null = null;
  next: SenderTable | null = null;
  /** Id of the entry `pop` removed last. */
  lastId = '';
  /** Its floor has a row in `replay_floors` (floors raised by eviction do; the floor a table starts with does not). */
  floorStored = false;

  constructor(sender: string, floor: number, id: string, time: number) {
    this.sender = sender;
    this.floor = floor;
    this.heapIds = [id];
    this.heapTimes = [time];
  }

  get count(): number {
    return this.heapIds.length;
  }

  has(id: string): boolean {
    if (this.ids) return this.ids.has(id);
    const ids = this.heapIds;
    for (let i = 0; i < ids.length; i++) if (ids[i] === id) return true;
    return false;
  }

  push(id: string, time: number): void {
    const ids = this.heapIds;
    const times = this.heapTimes;
    let i = ids.length;
    ids.push(id);
    times.push(time);
    // Sift up; a sender's messages mostly arrive in time order, so this usually stops at once.
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (times[p]! <= time) break;
      ids[i] = ids[p]!;
      times[i] = times[p]!;
      i = p;
    }
    ids[i] = id;
    times[i] = time;
    if (this.ids) this.ids.add(id);
    else if (ids.length > SMALL) this.ids = new Set(ids);
  }

  /** Removes the oldest entry; returns its time (its id is left in `lastId`). */
  pop(): number {
    const ids = this.heapIds;
    const times = this.heapTimes;
    const topId = ids[0]!;
    const topTime = times[0]!;
    const lastId = ids.pop()!;
    const lastTime = times.pop()!;
    const n = ids.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && times[r]! < times[l]! ? r : l;
        if (times[c]! >= lastTime) break;
        ids[i] = ids[c]!;
        times[i] = times[c]!;
        i = c;
      }
      ids[i] = lastId;
      times[i] = lastTime;
    }
    this.ids?.delete(topId);
    this.lastId = topId;
    return topTime;
  }
}

/**
 * Replay protection for authenticated messages, keyed by (sender, id),
 * that a stranger cannot evict into letting a replay through.
 *
 * - `time` is the sender's creation time of the message (Unix ms, covered
 *   by the sender's proof). `time > now + futureSkewMs` → `future`;
 *   `time < now - windowMs` → `stale`. Entries older than the window are
 *   removed lazily (the checked sender's own on every check, and a sweep
 *   of two more sender tables per check), since such a message is refused
 *   as stale anyway.
 * - Per sender: a table of id → time, plus a floor. An id in the table →
 *   `duplicate`; `time <= floor` → `stale`. When a sender's table is over
 *   `maxPerSender`, its oldest entry (by time) is evicted and its floor
 *   rises to that entry's time. Eviction can refuse a late message of that
 *   sender; it never lets a replay through.
 * - Over `maxTotal`: one entry is evicted from a sender holding the most
 *   entries (the flooder pays; count buckets make finding it O(1)), raising
 *   its floor. When every sender holds a single entry (a flood of throwaway
 *   keys), whole sender tables go instead, least recently created first,
 *   and the global `forgottenFloor` rises to the evicted table's highest
 *   time (its entry or its floor). A sender without a table gets a new one
 *   whose floor is `forgottenFloor`. So a flood of more than `maxTotal`
 *   distinct messages inside the window can make late messages of
 *   forgotten senders `stale`; none is ever accepted twice.
 * - Isolation guarantee: a check of sender T removes an entry of another
 *   sender S only (a) if the entry is older than the window, or (b) if the
 *   total is then over `maxTotal` and no sender (T included) holds more
 *   entries than S: one entry of S, its oldest; or, when every sender holds
 *   exactly one, S's whole table if it is the least recently created. So
 *   while some other sender holds more entries than S, S loses nothing, and
 *   afterwards no sender holds more than S's count + 1 (what the property
 *   test checks). What it does not promise: under a flood of throwaway keys
 *   (one entry each), the busiest honest sender is the largest; it loses
 *   its oldest entries until it holds one, then is forgotten in turn.
 * - Safety invariant: every message accepted whose `time >= now - windowMs`
 *   is in its sender's table, or has `time <=` the floor that applies to
 *   its sender (its own, or `forgottenFloor` without a table). A floor
 *   inside the window never falls. Ids must be unique per sender: the same
 *   id with a new time, after its entry was evicted, counts as a new
 *   message (the time is covered by the sender's proof: a replay has the
 *   same time).
 * - With `db`: tables `replay_seen` (keyed by time, sender, id: writes
 *   stay at the two ends of the b-tree) and `replay_floors` (floors raised
 *   by eviction; sender '' holds `forgottenFloor`) mirror memory. Inserts,
 *   deletes and floor changes are written in order, in one transaction per
 *   event-loop turn; a crash in that turn can let a copy through once
 *   more, never leaves a deleted entry without its floor. On construction,
 *   what is inside the window is loaded, the bounds applied (evicting as
 *   above), and a table's starting floor, which is not stored, is taken as
 *   min(forgottenFloor, its oldest entry). A failed write is reported to
 *   `onError`, never thrown: memory stays the truth and the write is
 *   retried on the next flush (after more than `maxTotal` failed
 *   operations, the next flush rewrites both tables from memory instead).
 * - Cost: `check` is O(1) plus, for each entry it removes, a pop from that
 *   sender's heap (O(log n), n ≤ maxPerSender; an entry is removed once).
 *   No allocation per call beyond the record kept (and a table for a new
 *   sender).
 */
export class ReplayGuard {
  readonly #windowMs: number;
  readonly #futureSkewMs: number;
  readonly #maxPerSender: number;
  readonly #maxTotal: number;
  readonly #now: () => number;
  readonly #onError: ((err: unknown) => void) | null;
  readonly #tables = new Map<string, SenderTable>();
  /** buckets[c]: tables holding c entries, linked through bucketPrev/bucketNext. */
  readonly #buckets: (SenderTable | null)[] = [null];
  #maxCount = 0;
  /** Creation order: oldest first. */
  #head: SenderTable | null = null;
  #tail: SenderTable | null = null;
  /** Next table the expiry sweep looks at. */
  #cursor: SenderTable | null = null;
  #size = 0;
  #forgottenFloor = -Infinity;

  readonly #db: Db | undefined;
  readonly #stmts;
  readonly #opKind: number[] = [];
  readonly #opSender: string[] = [];
  readonly #opId: string[] = [];
  readonly #opTime: number[] = [];
  /** Set after failed writes piled up: the next flush rewrites both tables from memory. */
  #rewrite = false;
  #flushScheduled: NodeJS.Immediate | true | null = null;
  readonly #schedule: ((flush: () => void) => void) | null;
  readonly #retracted = new Set<string>();
  #closed = false;
  #failing = false;

  constructor(opts: ReplayGuardOptions = {}) {
    this.#windowMs = opts.windowMs ?? 24 * 3600_000 + 10 * 60_000;
    this.#futureSkewMs = opts.futureSkewMs ?? 5 * 60_000;
    this.#maxPerSender = opts.maxPerSender ?? 50_000;
    this.#maxTotal = opts.maxTotal ?? 200_000;
    this.#now = opts.now ?? Date.now;
    this.#onError = opts.onError ?? null;
    this.#schedule = opts.schedule ?? null;
    if (!(this.#windowMs > 0) || !(this.#futureSkewMs >= 0) || !(this.#maxPerSender >= 1) || !(this.#maxTotal >= 1)) {
      throw new PushmeshError('ERR_BAD_ARGUMENT', 'ReplayGuard: windowMs > 0, futureSkewMs >= 0, maxPerSender >= 1 and maxTotal >= 1 are required');
    }
    const db = (this.#db = opts.db);
    if (!db) {
      this.#stmts = null;
      return;
    }
    // Keyed by time first: inserts land at the end of the b-tree and evictions and expiry take from its start, so a
    // turn's writes touch a few pages; keyed by (sender, id), each random ID dirtied its own page (8× slower, bench).
    db.exec(`
      CREATE TABLE IF NOT EXISTS replay_seen (sender TEXT NOT NULL, id TEXT NOT NULL, time INTEGER NOT NULL, PRIMARY KEY (time, sender, id)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS replay_floors (sender TEXT PRIMARY KEY, floor INTEGER NOT NULL);
      DROP TABLE IF EXISTS seen_messages;
    `);
    const put = db.prepare<[string, string, number]>('INSERT OR IGNORE INTO replay_seen (sender, id, time) VALUES (?, ?, ?)');
    const del = db.prepare<[number, string, string]>('DELETE FROM replay_seen WHERE time = ? AND sender = ? AND id = ?');
    const setFloor = db.prepare<[string, number]>('INSERT OR REPLACE INTO replay_floors (sender, floor) VALUES (?, ?)');
    const delFloor = db.prepare<[string]>('DELETE FROM replay_floors WHERE sender = ?');
    this.#stmts = {
      write: db.transaction((kinds: number[], senders: string[], ids: string[], times: number[]) => {
        for (let i = 0; i < kinds.length; i++) {
          switch (kinds[i]) {
            case PUT:
              put.run(senders[i]!, ids[i]!, times[i]!);
              break;
            case DEL:
              del.run(times[i]!, senders[i]!, ids[i]!);
              break;
            case SET_FLOOR:
              setFloor.run(senders[i]!, times[i]!);
              break;
            default:
              delFloor.run(senders[i]!);
          }
        }
      }),
      rewrite: db.transaction(() => {
        db.exec('DELETE FROM replay_seen; DELETE FROM replay_floors');
        if (this.#forgottenFloor > -Infinity) setFloor.run(FORGOTTEN, this.#forgottenFloor);
        for (let t = this.#head; t; t = t.next) {
          if (t.floorStored) setFloor.run(t.sender, t.floor);
          for (let i = 0; i < t.count; i++) put.run(t.sender, t.heapIds[i]!, t.heapTimes[i]!);
        }
      }),
    };
    this.#load(db);
  }

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  /** Sender tables held. */
  get senders(): number {
    return this.#tables.size;
  }

  /** Entries held for `sender` (0 without a table). */
  held(sender: string): number {
    return this.#tables.get(sender)?.count ?? 0;
  }

  /** Checks (sender, id, time) of an authenticated message and records it when ok. */
  check(sender: string, id: string, time: number): ReplayVerdict {
    if (sender === FORGOTTEN) throw new PushmeshError('ERR_BAD_ARGUMENT', 'ReplayGuard: empty sender');
    const now = this.#now();
    if (time > now + this.#futureSkewMs) return FUTURE;
    const cutoff = now - this.#windowMs;
    if (!(time >= cutoff)) return STALE; // NaN too
    this.#sweep(cutoff);
    let t = this.#tables.get(sender);
    if (t) {
      this.#prune(t, cutoff);
      if (t.count === 0) t = undefined;
    }
    if (t) {
      if (t.has(id)) {
        if (this.#retracted.size === 0 || !this.#retracted.delete(`${sender}\n${id}`)) return DUPLICATE;
        this.#op(PUT, sender, id, time); // taken back earlier (it could not be stored): this copy is new
        return OK;
      }
      if (time <= t.floor) return STALE;
      this.#add(t, id, time);
    } else {
      if (time <= this.#forgottenFloor) return STALE;
      t = this.#createTable(sender, this.#forgottenFloor, id, time);
    }
    if (t.count > this.#maxPerSender) this.#evictOldest(t);
    if (this.#size > this.#maxTotal) this.#evictGlobal();
    return OK;
  }

  /** Writes pending records now (also called on close). A failure goes to onError; the records stay pending. */
  flush(): void {
    if (this.#flushScheduled && this.#flushScheduled !== true) clearImmediate(this.#flushScheduled);
    this.#flushScheduled = null;
    const stmts = this.#stmts;
    if (!stmts || (this.#opKind.length === 0 && !this.#rewrite)) return;
    try {
      if (!this.#db!.open) throw new PushmeshError('ERR_IO', 'replay guard: the store is closed');
      if (this.#rewrite) stmts.rewrite();
      else stmts.write(this.#opKind, this.#opSender, this.#opId, this.#opTime);
      this.#rewrite = false;
      this.#clearOps();
      this.#failing = false;
    } catch (err) {
      // Too many pending operations: forget them, memory is the truth; rewrite everything next time.
      if (this.#opKind.length > this.#maxTotal) {
        this.#rewrite = true;
        this.#clearOps();
      }
      this.#report(err);
    }
  }

  /**
   * Takes back the record of a message that was checked but not taken
   * after all (it could not be stored for the apps, so its sender got no
   * ACK and will send it again): the next copy of it is new. Also on disk.
   * At most MAX_RETRACTED are remembered (the oldest forgotten first).
   */
  retract(sender: string, id: string, time: number): void {
    const t = this.#tables.get(sender);
    if (!t || !t.has(id)) return;
    if (this.#retracted.size >= MAX_RETRACTED) this.#retracted.delete(this.#retracted.values().next().value!);
    this.#retracted.add(`${sender}\n${id}`);
    this.#op(DEL, sender, id, time);
  }

  /** Writes what is pending; afterwards checks still answer from memory, and nothing more is written. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
  }

  #report(err: unknown): void {
    const first = !this.#failing;
    this.#failing = true;
    if (!this.#onError) {
      if (first) process.emitWarning(`replay guard: a write to the store failed; kept in memory, retried on the next flush: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    try {
      this.#onError(err);
    } catch {
      // onError must not make the timer throw either.
    }
  }

  #load(db: Db): void {
    const now = this.#now();
    const cutoff = now - this.#windowMs;
    try {
      db.prepare('DELETE FROM replay_seen WHERE time < ?').run(cutoff);
    } catch (err) {
      this.#report(err); // a full disk: the rows stay, the SELECT below skips them
    }
    const floors = new Map<string, number>();
    for (const r of db.prepare<[], { sender: string; floor: number }>('SELECT sender, floor FROM replay_floors').iterate()) {
      if (r.sender === FORGOTTEN) this.#forgottenFloor = Math.max(this.#forgottenFloor, r.floor);
      else floors.set(r.sender, r.floor);
    }
    // Creation order after a restart: by each sender's oldest entry.
    const rows = db.prepare<[number], { sender: string; id: string; time: number }>('SELECT sender, id, time FROM replay_seen WHERE time >= ? ORDER BY time, sender, id');
    for (const r of rows.iterate(cutoff)) {
      const t = this.#tables.get(r.sender);
      if (t) {
        if (!t.has(r.id)) this.#add(t, r.id, r.time, false);
        continue;
      }
      // The floor a table started with (forgottenFloor then) is not stored: it was at most forgottenFloor now, and
      // below the table's oldest entry (rows come oldest first), so starting from the lower of the two is safe.
      const stored = floors.get(r.sender);
      this.#createTable(r.sender, stored ?? Math.min(this.#forgottenFloor, r.time), r.id, r.time, false).floorStored = stored !== undefined;
    }
    // A floor whose entries all left the window is outside it too; one inside it without entries (cannot happen
    // unless the file was edited, or the window shrank) is kept as forgottenFloor.
    let forgotten = this.#forgottenFloor;
    for (const [sender, floor] of floors) {
      if (this.#tables.has(sender)) continue;
      if (floor >= cutoff) forgotten = Math.max(forgotten, floor);
      this.#op(DEL_FLOOR, sender, '', 0);
    }
    this.#raiseForgotten(forgotten);
    for (let t = this.#head; t; t = t.next) while (t.count > this.#maxPerSender) this.#evictOldest(t);
    while (this.#size > this.#maxTotal) this.#evictGlobal();
    this.flush();
  }

  /** A new table holding its first entry. */
  #createTable(sender: string, floor: number, id: string, time: number, record = true): SenderTable {
    const t = new SenderTable(sender, floor, id, time);
    this.#tables.set(sender, t);
    t.prev = this.#tail;
    if (this.#tail) this.#tail.next = t;
    else this.#head = t;
    this.#tail = t;
    this.#size++;
    this.#move(t, 0, 1);
    if (record) this.#op(PUT, sender, id, time);
    return t;
  }

  #dropTable(t: SenderTable): void {
    this.#tables.delete(t.sender);
    if (this.#cursor === t) this.#cursor = t.next;
    if (t.prev) t.prev.next = t.next;
    else this.#head = t.next;
    if (t.next) t.next.prev = t.prev;
    else this.#tail = t.prev;
    t.prev = t.next = null;
    if (t.floorStored) this.#op(DEL_FLOOR, t.sender, '', 0);
  }

  #add(t: SenderTable, id: string, time: number, record = true): void {
    const c = t.count;
    t.push(id, time);
    this.#size++;
    this.#move(t, c, c + 1);
    if (record) this.#op(PUT, t.sender, id, time);
  }

  /** Removes `t`'s oldest entry; returns its time. The table is dropped when empty. */
  #pop(t: SenderTable): number {
    const c = t.count;
    const time = t.pop();
    this.#size--;
    this.#move(t, c, c - 1);
    this.#op(DEL, t.sender, t.lastId, time);
    return time;
  }

  #evictOldest(t: SenderTable): void {
    const time = this.#pop(t);
    if (time > t.floor) {
      t.floor = time;
      t.floorStored = true;
      this.#op(SET_FLOOR, t.sender, '', time);
    }
  }

  #evictGlobal(): void {
    if (this.#maxCount >= 2) {
      this.#evictOldest(this.#buckets[this.#maxCount]!);
      return;
    }
    // Every sender holds one entry: forget the least recently created sender.
    const t = this.#head!;
    const time = this.#pop(t);
    this.#dropTable(t);
    this.#raiseForgotten(Math.max(time, t.floor));
  }

  #raiseForgotten(floor: number): void {
    if (floor <= this.#forgottenFloor) return;
    this.#forgottenFloor = floor;
    this.#op(SET_FLOOR, FORGOTTEN, '', floor);
  }

  /** Removes `t`'s entries older than the window; drops the table when none is left. */
  #prune(t: SenderTable, cutoff: number): void {
    while (t.count > 0 && t.heapTimes[0]! < cutoff) this.#pop(t);
    if (t.count === 0) {
      // Floors never pass the entries left (oldest-first eviction), so this floor is outside the window; kept as forgottenFloor otherwise.
      if (t.floor >= cutoff) this.#raiseForgotten(t.floor);
      this.#dropTable(t);
    }
  }

  #sweep(cutoff: number): void {
    for (let i = 0; i < SWEEP_PER_CHECK; i++) {
      const t = this.#cursor ?? this.#head;
      if (!t) return;
      this.#cursor = t.next;
      this.#prune(t, cutoff);
    }
  }

  /** Moves `t` from count bucket `from` to `to` (bucket 0 is not kept). */
  #move(t: SenderTable, from: number, to: number): void {
    const b = this.#buckets;
    if (from > 0) {
      if (t.bucketPrev) t.bucketPrev.bucketNext = t.bucketNext;
      else b[from] = t.bucketNext;
      if (t.bucketNext) t.bucketNext.bucketPrev = t.bucketPrev;
      t.bucketPrev = t.bucketNext = null;
    }
    if (to > 0) {
      while (b.length <= to) b.push(null);
      const h = b[to]!;
      t.bucketNext = h;
      if (h) h.bucketPrev = t;
      b[to] = t;
      if (to > this.#maxCount) this.#maxCount = to;
    }
    while (this.#maxCount > 0 && !b[this.#maxCount]) this.#maxCount--;
  }

  #op(kind: number, sender: string, id: string, time: number): void {
    if (!this.#stmts || this.#closed) return;
    if (!this.#rewrite) {
      this.#opKind.push(kind);
      this.#opSender.push(sender);
      this.#opId.push(id);
      this.#opTime.push(time);
    }
    if (this.#flushScheduled) return;
    if (this.#schedule) {
      this.#flushScheduled = true;
      this.#schedule(() => {
        if (this.#flushScheduled === true) this.flush();
      });
    } else {
      this.#flushScheduled = setImmediate(() => this.flush());
    }
  }

  #clearOps(): void {
    this.#opKind.length = 0;
    this.#opSender.length = 0;
    this.#opId.length = 0;
    this.#opTime.length = 0;
  }
}
