import { MinHeap } from '../util/min-heap.js';

/** How the queues see an item: its order (seq) and whether it is still waiting. */
export interface ReadyItemAccess<T> {
  seq(item: T): number;
  /** False once the item was claimed, removed or moved (it is then skipped and dropped lazily). */
  live(item: T): boolean;
}

/** One destination's ready items, in seq order; items before `head` are gone. */
interface DestQueue<T> {
  items: T[];
  head: number;
  /** Bumped whenever an entry for this queue is pushed on the heap: only the newest counts. */
  gen: number;
}

/** A destination on the heap, keyed by the seq of its first waiting item (a lower bound: it may have moved on). */
interface HeadRef {
  dest: string;
  key: number;
  gen: number;
}

/**
 * Ready items of one urgency, one queue per destination, handed out in
 * seq order across all destinations (a merge of the queues' heads kept in
 * a heap). A destination the caller turns away (busy, or waiting behind a
 * retry) is set aside as a whole, so a destination with a long backlog
 * costs one heap step per call, not one step per item.
 */
export class ReadyQueues<T> {
  readonly #byDest = new Map<string, DestQueue<T>>();
  readonly #heads = new MinHeap<HeadRef>((h) => h.key);
  readonly #a: ReadyItemAccess<T>;

  constructor(access: ReadyItemAccess<T>) {
    this.#a = access;
  }

  /** Adds an item; one that is not the newest of its destination goes to its place in seq order. */
  add(dest: string, item: T): void {
    const seq = this.#a.seq(item);
    const q = this.#byDest.get(dest);
    if (!q) {
      const fresh: DestQueue<T> = { items: [item], head: 0, gen: 0 };
      this.#byDest.set(dest, fresh);
      this.#pushHead(dest, fresh, seq);
      return;
    }
    const items = q.items;
    const last = items[items.length - 1];
    if (q.head >= items.length || (last !== undefined && this.#a.seq(last) <= seq)) {
      items.push(item);
      return; // the heap's key for this destination is at most its head's seq, which did not go down
    }
    let lo = q.head;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#a.seq(items[mid]!) <= seq) lo = mid + 1;
      else hi = mid;
    }
    items.splice(lo, 0, item);
    if (lo === q.head) this.#pushHead(dest, q, seq); // a new first item: a lower key
  }

  /**
   * Appends to `out` up to `limit` live items in seq order across
   * destinations. `admit` is asked for each candidate in turn; false sets
   * its destination aside for the rest of this call (its later items are
   * not offered). Items are not removed: the caller claims them (they stop
   * being live); unclaimed ones are offered again next time.
   */
  take(limit: number, admit: (dest: string, item: T) => boolean, out: T[]): void {
    const cursor = new Map<string, number>();
    const revisit = new Set<string>();
    let taken = 0;
    while (taken < limit) {
      const top = this.#heads.pop();
      if (!top) break;
      const q = this.#byDest.get(top.dest);
      if (!q || top.gen !== q.gen) continue; // superseded
      let at = cursor.get(top.dest);
      if (at === undefined) {
        at = this.#liveHead(top.dest, q);
        if (at < 0) continue; // empty: forgotten
      } else at = this.#nextLive(q, at);
      revisit.add(top.dest);
      if (at >= q.items.length) continue; // offered all it has in this call
      const item = q.items[at]!;
      const seq = this.#a.seq(item);
      if (seq !== top.key) {
        this.#pushHead(top.dest, q, seq); // its head moved on since it was keyed
        revisit.delete(top.dest);
        continue;
      }
      if (!admit(top.dest, item)) continue; // set aside: back on the heap after this call
      out.push(item);
      taken++;
      const next = this.#nextLive(q, at + 1);
      cursor.set(top.dest, next);
      if (next < q.items.length) {
        this.#pushHead(top.dest, q, this.#a.seq(q.items[next]!));
        revisit.delete(top.dest);
      }
    }
    // Every destination looked at goes back on the heap at its first live item (what was handed out stays first until claimed).
    for (const dest of new Set([...revisit, ...cursor.keys()])) {
      const q = this.#byDest.get(dest);
      if (!q) continue;
      const at = this.#liveHead(dest, q);
      if (at >= 0) this.#pushHead(dest, q, this.#a.seq(q.items[at]!));
    }
  }

  #pushHead(dest: string, q: DestQueue<T>, key: number): void {
    q.gen++;
    this.#heads.push({ dest, key, gen: q.gen });
  }

  /** Index of the first live item (dropping dead ones for good), or -1 after forgetting an empty queue. */
  #liveHead(dest: string, q: DestQueue<T>): number {
    let h = q.head;
    while (h < q.items.length && !this.#a.live(q.items[h]!)) h++;
    if (h >= q.items.length) {
      this.#byDest.delete(dest);
      return -1;
    }
    if (h > 1024 && h * 2 > q.items.length) {
      q.items = q.items.slice(h);
      h = 0;
    }
    q.head = h;
    return h;
  }

  #nextLive(q: DestQueue<T>, from: number): number {
    let i = from;
    while (i < q.items.length && !this.#a.live(q.items[i]!)) i++;
    return i;
  }
}
