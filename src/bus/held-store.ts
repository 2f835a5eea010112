import type { Db } from '../store/database.js';
import { storageError } from '../store/storage-health.js';
import { turnWriterOf, type TurnWriter, type TurnWrites } from '../store/turn-writer.js';
import type { Message, Payload } from '../message/types.js';
import type { LocalEvent } from './types.js';

/** Bounds of what a node holds for its apps (docs/node.md "Held for the apps"). */
export interface HeldLimits {
  /** Messages held in all. */
  maxMessages: number;
  /** Bytes held in all (payload and metadata as stored). */
  maxBytes: number;
  /** Messages held per topic. */
  maxPerTopic: number;
}

export interface HeldStoreOptions extends HeldLimits {
  /** Kept on disk (table `app_inbox`) when given: held messages survive a restart. */
  db?: Db;
  now?: () => number;
  /** Messages dropped to stay within the bounds (`limit`) or because their TTL ran out (`expired`). */
  onDropped?: (reason: 'limit' | 'expired', count: number) => void;
  /** A write failed (disk full): reported here; the waiting `stored` promises are rejected with ERR_STORAGE_FULL. */
  onError?: (err: unknown) => void;
  /** The database's TurnWriter (default: the one of `db`). */
  writer?: TurnWriter;
}

interface Held {
  ev: LocalEvent;
  bytes: number;
  expires: number;
  /** The row's JSON, until written. */
  body?: string;
}

/**
 * The messages a node holds for its apps, oldest first: every message it
 * accepted for them, kept within its TTL and the bounds (the oldest goes
 * first, counted) so an app that connects later — after it reconnects or
 * after the node restarted — reads it (`since=`, `Last-Event-ID`).
 *
 * With a database every added message is written in one transaction per
 * event-loop turn, the node's TurnWriter's (with the outbox's and the
 * delivery statuses' writes of that turn); `add` resolves once its row is committed, which
 * is when the node may acknowledge it to the sender. Writes that come
 * with the turn's rows (`afterCommit`) run in the same transaction, after
 * them: the replay guard's record of a message is on disk only with the
 * message itself (or in a later turn, when it had none to go with).
 */
export class HeldStore {
  readonly #o: HeldStoreOptions;
  readonly #now: () => number;
  /** Oldest first; `#head` skips the dropped ones without shifting. */
  #items: (Held | undefined)[] = [];
  #head = 0;
  readonly #perTopic = new Map<string, number>();
  #count = 0;
  #bytes = 0;
  #maxSeq = 0;
  readonly #stmts: { insert: (seq: number, topic: string, expires: number, body: string) => void; remove: (seq: number) => void; prune: (now: number) => void } | null;
  #pending: Array<{ kind: 'add'; held: Held; done?: { resolve: () => void; reject: (e: unknown) => void } } | { kind: 'remove'; seq: number }> = [];
  #after: Array<() => void> = [];
  #scheduled: NodeJS.Immediate | null = null;
  /** The database's TurnWriter: the rows go with the node's other writes of the turn (docs/node.md "One transaction per turn"). */
  readonly #writer: TurnWriter | null = null;

  constructor(opts: HeldStoreOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    const db = opts.db;
    if (!db) {
      this.#stmts = null;
      return;
    }
    db.exec('CREATE TABLE IF NOT EXISTS app_inbox (seq INTEGER PRIMARY KEY, topic TEXT NOT NULL, expires INTEGER NOT NULL, message TEXT NOT NULL)');
    const insert = db.prepare<[number, string, number, string]>('INSERT OR REPLACE INTO app_inbox (seq, topic, expires, message) VALUES (?, ?, ?, ?)');
    const remove = db.prepare<[number]>('DELETE FROM app_inbox WHERE seq = ?');
    const prune = db.prepare<[number]>('DELETE FROM app_inbox WHERE expires < ?');
    this.#stmts = { insert: (...a) => void insert.run(...a), remove: (s) => void remove.run(s), prune: (n) => void prune.run(n) };
    this.#writer = opts.writer ?? turnWriterOf(db);
    this.#writer.add({ take: () => this.#take() });
    this.#load(db);
  }

  /** The highest seq held or ever loaded: a node's seq numbers continue above it after a restart. */
  get maxSeq(): number {
    return this.#maxSeq;
  }

  get count(): number {
    return this.#count;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Holds `ev`; resolves once it is on disk (at once without a database). */
  add(ev: LocalEvent): Promise<void> {
    const m = ev.message;
    const body = JSON.stringify(toStored(m));
    const held: Held = { ev, bytes: body.length + m.topic.length + 32, expires: m.time + Math.max(m.ttl, 0) * 1000 };
    if (this.#stmts) held.body = body;
    this.#maxSeq = Math.max(this.#maxSeq, ev.seq);
    this.#push(held);
    this.#bound(m.topic);
    if (!this.#stmts) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#pending.push({ kind: 'add', held, done: { resolve, reject } });
      this.#schedule();
    });
  }

  /** Runs `fn` right after the next commit of this store (in this event-loop turn), or at the end of the turn without a database. */
  afterCommit(fn: () => void): void {
    this.#after.push(fn);
    this.#schedule();
  }

  /** Held messages within their TTL for which `pred` holds, oldest first. */
  filter(pred: (ev: LocalEvent) => boolean): LocalEvent[] {
    const now = this.#now();
    const out: LocalEvent[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const h = this.#items[i];
      if (h && h.expires >= now && pred(h.ev)) out.push(h.ev);
    }
    return out;
  }

  /** Writes what is pending now (also on close), with the node's other pending writes. */
  flush(): void {
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = null;
    if (this.#writer) this.#writer.flush();
    else this.#runAfter();
  }

  close(): void {
    this.flush();
  }

  /** The held store's part of a TurnWriter transaction: the rows, then the writes that must never be on disk without them (the replay guard's records). */
  #take(): TurnWrites | undefined {
    const pending = this.#pending;
    const after = this.#after;
    if (pending.length === 0 && after.length === 0) return undefined;
    this.#pending = [];
    this.#after = [];
    const s = this.#stmts!;
    return {
      run: () => {
        for (const p of pending) {
          if (p.kind === 'add') s.insert(p.held.ev.seq, p.held.ev.message.topic, p.held.expires, p.held.body!);
          else s.remove(p.seq);
        }
        for (const fn of after) fn();
      },
      done: (cause) => {
        if (cause === null) {
          for (const p of pending) {
            if (p.kind !== 'add') continue;
            delete p.held.body;
            p.done?.resolve();
          }
          return;
        }
        const err = storageError(cause, 'messages held for apps');
        this.#o.onError?.(err);
        for (const p of pending) {
          if (p.kind === 'remove') this.#pending.push(p); // a removal is tried again with the next commit
          if (p.kind !== 'add') continue;
          this.#forget(p.held);
          p.done?.reject(err);
        }
        // The receivers take the rejected messages back from the replay guard (retract) once these rejections reach them;
        // its records then go in a later turn, with the take-backs after them.
        this.#after.unshift(...after);
        this.#schedule();
      },
    };
  }

  #runAfter(): void {
    const after = this.#after;
    this.#after = [];
    for (const fn of after) fn();
  }

  #schedule(): void {
    if (this.#writer) this.#writer.now();
    else this.#scheduled ??= setImmediate(() => this.flush());
  }

  #push(h: Held): void {
    this.#items.push(h);
    this.#count++;
    this.#bytes += h.bytes;
    const t = h.ev.message.topic;
    this.#perTopic.set(t, (this.#perTopic.get(t) ?? 0) + 1);
  }

  /** Drops what is over a bound (or expired), oldest first: expired ones anywhere at the front, then by total, then by `topic`'s own count. */
  #bound(topic: string): void {
    const now = this.#now();
    let expired = 0;
    let limited = 0;
    while (this.#head < this.#items.length) {
      const h = this.#items[this.#head];
      if (!h) {
        this.#head++;
        continue;
      }
      const over = this.#count > this.#o.maxMessages || this.#bytes > this.#o.maxBytes;
      if (h.expires < now) expired++;
      else if (over) limited++;
      else break;
      this.#drop(this.#head);
    }
    if ((this.#perTopic.get(topic) ?? 0) > this.#o.maxPerTopic) {
      for (let i = this.#head; i < this.#items.length && (this.#perTopic.get(topic) ?? 0) > this.#o.maxPerTopic; i++) {
        if (this.#items[i]?.ev.message.topic === topic) {
          this.#drop(i);
          limited++;
        }
      }
    }
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    if (expired > 0) this.#o.onDropped?.('expired', expired);
    if (limited > 0) this.#o.onDropped?.('limit', limited);
  }

  #drop(i: number): void {
    const h = this.#items[i]!;
    this.#items[i] = undefined;
    this.#forgetCounts(h);
    if (this.#stmts) {
      // Not yet written: it simply is not written.
      const at = this.#pending.findIndex((p) => p.kind === 'add' && p.held === h);
      if (at >= 0) {
        const p = this.#pending[at] as { done?: { resolve: () => void } };
        this.#pending.splice(at, 1);
        p.done?.resolve(); // held until dropped for room: the node did take it
      } else {
        this.#pending.push({ kind: 'remove', seq: h.ev.seq });
        this.#schedule();
      }
    }
  }

  /** A message whose row could not be written: out of memory too (the sender gets no ACK and sends it again). */
  #forget(h: Held): void {
    const i = this.#items.lastIndexOf(h);
    if (i < 0) return;
    this.#items[i] = undefined;
    this.#forgetCounts(h);
  }

  #forgetCounts(h: Held): void {
    this.#count--;
    this.#bytes -= h.bytes;
    const t = h.ev.message.topic;
    const n = (this.#perTopic.get(t) ?? 1) - 1;
    if (n === 0) this.#perTopic.delete(t);
    else this.#perTopic.set(t, n);
  }

  #load(db: Db): void {
    const now = this.#now();
    try {
      this.#stmts!.prune(now);
    } catch (err) {
      this.#o.onError?.(storageError(err, 'expired messages held for apps'));
    }
    const rows = db.prepare<[], { seq: number; expires: number; message: string }>('SELECT seq, expires, message FROM app_inbox ORDER BY seq ASC').all();
    for (const r of rows) {
      let message: Message;
      try {
        message = fromStored(JSON.parse(r.message) as StoredMessage);
      } catch {
        continue; // a row this version cannot read: skipped (its seq still counts)
      } finally {
        this.#maxSeq = Math.max(this.#maxSeq, r.seq);
      }
      this.#push({ ev: { seq: r.seq, message }, bytes: r.message.length + message.topic.length + 32, expires: r.expires });
    }
    // Bounds may have been lowered since: apply them (and write the drops).
    for (const topic of [...this.#perTopic.keys()]) this.#bound(topic);
  }
}

/** A held message as stored: the Message with its payload in JSON form. */
interface StoredMessage extends Omit<Message, 'data'> {
  data: { kind: 'json'; value: unknown } | { kind: 'text'; value: string } | { kind: 'bytes'; value: string };
}

function toStored(m: Message): StoredMessage {
  const data: StoredMessage['data'] = m.data.kind === 'bytes' ? { kind: 'bytes', value: Buffer.from(m.data.value).toString('base64') } : m.data;
  return { ...m, data };
}

function fromStored(s: StoredMessage): Message {
  const data: Payload = s.data.kind === 'bytes' ? { kind: 'bytes', value: Buffer.from(s.data.value, 'base64') } : s.data;
  if (typeof s.id !== 'string' || typeof s.topic !== 'string' || typeof s.time !== 'number') throw new Error('not a held message');
  return { ...s, data };
}
