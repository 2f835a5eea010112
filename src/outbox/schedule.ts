import { MinHeap } from '../util/min-heap.js';
import { ReadyQueues } from './ready-queues.js';

/** What the schedule knows of an outbox entry (the message itself stays on disk). */
export interface Slot {
  seq: number;
  id: string;
  dest: string;
  replace: string | null;
  /** Index in URGENCIES (0 very-low … 3 high). */
  urgency: number;
  expiresAt: number;
  attempts: number;
  nextAttemptAt: number;
  state: 'ready' | 'delayed' | 'in-flight' | 'gone';
  /** Bumped on every state change: queue and heap items with an older token are stale. */
  token: number;
  /** Expired while an attempt was in flight: expires as soon as the attempt ends without delivery. */
  expiredInFlight: boolean;
}

interface Ref {
  slot: Slot;
  token: number;
}

const URGENCY_LEVELS = 4;

/**
 * The in-memory schedule of the outbox: which entries are due, in what
 * order, and when to wake up, so that picking work costs no disk I/O.
 * Ready entries wait per urgency (most urgent first) in one queue per
 * destination, merged in seq order (`ReadyQueues`), so a destination
 * that is busy or waits behind a retry is skipped in one step however
 * long its backlog; entries waiting for a retry in a min-heap by time;
 * every entry in a min-heap by expiry. Stale queue and heap items are
 * skipped lazily (tokens).
 */
export class Schedule {
  readonly #slots = new Map<number, Slot>();
  readonly #ready: ReadyQueues<Ref>[] = Array.from({ length: URGENCY_LEVELS }, () => new ReadyQueues<Ref>({ seq: (r) => r.slot.seq, live }));
  readonly #delayed = new MinHeap<Ref>((r) => r.slot.nextAttemptAt);
  readonly #expiry = new MinHeap<Slot>((s) => s.expiresAt);
  /** Per destination, its entries waiting for a retry, by seq: an entry never overtakes an earlier one of its destination that waits. */
  readonly #delayedByDest = new Map<string, MinHeap<Ref>>();

  /** dest → how many entries it has. */
  readonly #perDest = new Map<string, number>();

  get size(): number {
    return this.#slots.size;
  }

  /** How many entries wait for `dest` (in flight included). */
  countFor(dest: string): number {
    return this.#perDest.get(dest) ?? 0;
  }

  /** How many entries wait for each destination that has any (a copy). */
  counts(): Map<string, number> {
    return new Map(this.#perDest);
  }

  get(seq: number): Slot | undefined {
    return this.#slots.get(seq);
  }


  /** Adds an entry, due at `slot.nextAttemptAt`. */
  add(slot: Omit<Slot, 'state' | 'token' | 'expiredInFlight'>, now: number): Slot {
    const s: Slot = { ...slot, state: 'delayed', token: 0, expiredInFlight: false };
    this.#slots.set(s.seq, s);
    this.#perDest.set(s.dest, (this.#perDest.get(s.dest) ?? 0) + 1);
    this.#expiry.push(s);
    this.#place(s, now);
    return s;
  }

  #place(s: Slot, now: number): void {
    s.token++;
    if (s.nextAttemptAt <= now) {
      s.state = 'ready';
      this.#ready[s.urgency]!.add(s.dest, { slot: s, token: s.token });
    } else {
      s.state = 'delayed';
      const ref = { slot: s, token: s.token };
      this.#delayed.push(ref);
      let byDest = this.#delayedByDest.get(s.dest);
      if (!byDest) this.#delayedByDest.set(s.dest, (byDest = new MinHeap<Ref>((r) => r.slot.seq)));
      byDest.push(ref);
    }
  }

  /** Lowest seq of `dest` waiting for a retry (Infinity when none). */
  #firstDelayed(dest: string): number {
    const heap = this.#delayedByDest.get(dest);
    if (!heap) return Infinity;
    for (let top = heap.peek(); top; top = heap.peek()) {
      if (top.token === top.slot.token && top.slot.state === 'delayed') return top.slot.seq;
      heap.pop();
    }
    this.#delayedByDest.delete(dest);
    return Infinity;
  }

  remove(seq: number): Slot | undefined {
    const s = this.#slots.get(seq);
    if (!s) return undefined;
    this.#slots.delete(seq);
    const n = (this.#perDest.get(s.dest) ?? 1) - 1;
    if (n > 0) this.#perDest.set(s.dest, n);
    else this.#perDest.delete(s.dest);
    s.state = 'gone';
    s.token++;
    return s;
  }

  /** Marks an entry as being attempted: not due again until retry() or wakeAll(). */
  claim(seq: number): void {
    const s = this.#slots.get(seq);
    if (!s || s.state === 'gone') return;
    s.state = 'in-flight';
    s.token++;
  }

  retry(seq: number, at: number, now: number): void {
    const s = this.#slots.get(seq);
    if (!s) return;
    s.attempts++;
    s.nextAttemptAt = at;
    this.#place(s, now);
    if (s.expiredInFlight) {
      s.expiredInFlight = false;
      this.#expiry.push(s);
    }
  }

  /** Makes entries due now: all of them, or those of `dest`; in-flight ones only when `inFlightToo` (a restart). */
  wake(now: number, dest: string | null, inFlightToo: boolean): void {
    if (dest !== null && !inFlightToo) {
      // One destination: only its entries waiting for a retry move (it may be woken on every message that comes from it).
      const heap = this.#delayedByDest.get(dest);
      if (!heap) return;
      this.#delayedByDest.delete(dest);
      for (let r = heap.pop(); r; r = heap.pop()) {
        if (r.token !== r.slot.token || r.slot.state !== 'delayed') continue;
        r.slot.nextAttemptAt = now;
        this.#place(r.slot, now);
      }
      return;
    }
    for (const s of this.#slots.values()) {
      if (dest !== null && s.dest !== dest) continue;
      if (s.state === 'ready' || (s.state === 'in-flight' && !inFlightToo)) continue;
      s.nextAttemptAt = now;
      this.#place(s, now);
    }
  }

  /** Moves entries whose retry time has come to the ready queues. */
  #promote(now: number): void {
    for (let top = this.#delayed.peek(); top && top.slot.nextAttemptAt <= now; top = this.#delayed.peek()) {
      this.#delayed.pop();
      if (top.token === top.slot.token && top.slot.state === 'delayed') this.#place(top.slot, now);
    }
  }

  /**
   * Due entries, most urgent first, then in queue order (seq) within an
   * urgency, skipping destinations in `busy`, and at most `room(dest)`
   * entries of a destination when `room` is given. An entry behind an
   * earlier entry of its destination that waits for a retry waits too, so
   * a destination that comes back gets its backlog in order.
   */
  due(now: number, limit: number, busy: ReadonlySet<string>, room?: (dest: string) => number): Slot[] {
    this.#promote(now);
    const refs: Ref[] = [];
    const firstDelayed = new Map<string, number>();
    const left = new Map<string, number>();
    const admit = (dest: string, ref: Ref): boolean => {
      if (busy.has(dest)) return false;
      let f = firstDelayed.get(dest);
      if (f === undefined) firstDelayed.set(dest, (f = this.#firstDelayed(dest)));
      if (ref.slot.seq > f) return false;
      if (!room) return true;
      const n = left.get(dest) ?? room(dest);
      if (n <= 0) return false;
      left.set(dest, n - 1);
      return true;
    };
    for (let u = URGENCY_LEVELS - 1; u >= 0 && refs.length < limit; u--) this.#ready[u]!.take(limit - refs.length, admit, refs);
    return refs.map((r) => r.slot);
  }

  /** Earliest retry time of an entry waiting for one, or null. */
  nextRetryAt(): number | null {
    for (let top = this.#delayed.peek(); top; top = this.#delayed.peek()) {
      if (top.token === top.slot.token && top.slot.state === 'delayed') return top.slot.nextAttemptAt;
      this.#delayed.pop();
    }
    return null;
  }

  /** Earliest expiry of an entry not in flight, or null. */
  nextExpiryAt(): number | null {
    for (let top = this.#expiry.peek(); top; top = this.#expiry.peek()) {
      if (top.state !== 'gone' && !top.expiredInFlight) return top.expiresAt;
      this.#expiry.pop();
    }
    return null;
  }

  /** Removes and returns expired entries; one in flight is left to its attempt (it expires if that fails). */
  takeExpired(now: number): Slot[] {
    const out: Slot[] = [];
    for (let top = this.#expiry.peek(); top && top.expiresAt <= now; top = this.#expiry.peek()) {
      this.#expiry.pop();
      if (top.state === 'gone') continue;
      if (top.state === 'in-flight') {
        top.expiredInFlight = true;
        continue;
      }
      this.remove(top.seq);
      out.push(top);
    }
    return out;
  }
}

function live(ref: Ref): boolean {
  return ref.token === ref.slot.token && ref.slot.state === 'ready';
}
