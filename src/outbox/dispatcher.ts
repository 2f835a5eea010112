import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { MinHeap } from '../util/min-heap.js';
import { backoffDelay } from './backoff.js';
import type { OutboxStore } from './outbox-store.js';
import type { OutboxEntry } from './types.js';
import type { DeliveryPin, DeliveryResult } from '../core/delivery.js';

/** One delivery attempt. With a pin (ordered pipelining), see DeliveryPin. */
export type Deliver = (entry: OutboxEntry, signal: AbortSignal, pin?: DeliveryPin) => Promise<DeliveryResult>;

export interface DispatcherOptions {
  store: OutboxStore;
  deliver: Deliver;
  logger: Logger;
  /** Attempts in flight at once, all destinations. Default 512. */
  concurrency?: number;
  /** Attempts in flight at once to one destination. Default 8. */
  perDestination?: number;
  /**
   * With `perDestination` 1 (strict order): attempts in flight to one
   * destination while it is healthy and they all go over the link the
   * first one took (written in queue order; the receiver holds a flow
   * behind a refused message, docs/transports.md). Default 1 (none).
   */
  orderedPipeline?: number;
  backoff?: { baseMs: number; capMs: number };
  /**
   * A message whose attempts meet `no_route` on the way to a jump host
   * (`via`) for this long on end is rejected (`no_route`); meanwhile it has
   * yielded its place (docs/node.md "No head-of-line stall"). Default 5 min.
   */
  jumpHostNoRouteMs?: number;
  now?: () => number;
}

/** Default of `jumpHostNoRouteMs`. */
export const JUMP_HOST_NO_ROUTE_MS = 5 * 60_000;
/** A destination that shows it is back (`peerIsBack`) wakes its queue at most this often. */
const PEER_BACK_WAKE_MS = 1_000;

/** An entry that yielded its place: retried on its own at `at`. */
interface Yielded {
  entry: OutboxEntry;
  at: number;
}

export interface DispatcherEvents {
  delivered: [entry: OutboxEntry];
  expired: [entry: OutboxEntry];
  rejected: [entry: OutboxEntry, reason: string];
  retry: [entry: OutboxEntry, reason: string, delayMs: number];
}

/**
 * Drains the outbox: up to `perDestination` attempts in flight to each
 * destination (a window, so one slow round trip does not serialise a
 * destination's traffic), `concurrency` in all, retries with backoff until
 * an entry's TTL runs out. With a window above 1, messages to one
 * destination may arrive out of order. With a window of 1 (strict order)
 * and `orderedPipeline`, up to that many attempts to a healthy
 * destination are in flight over one link, written in queue order.
 */
export class OutboxDispatcher extends EventEmitter<DispatcherEvents> {
  readonly #store: OutboxStore;
  readonly #deliver: Deliver;
  readonly #log: Logger;
  readonly #concurrency: number;
  readonly #perDest: number;
  readonly #pipeline: number;
  /** Strict order, pipelined: the pin shared by a destination's attempts in flight. */
  readonly #pins = new Map<string, DeliveryPin>();
  readonly #backoff: { baseMs: number; capMs: number };
  readonly #now: () => number;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #perDestInFlight = new Map<string, number>();
  /**
   * Destinations whose last attempt failed: they get one attempt at a time
   * (a probe) until one gets an answer, so a backlog that drains when the
   * destination comes back keeps its order even if attempts take different
   * paths (a link that came up, or HTTPS).
   */
  readonly #failing = new Set<string>();
  /** One controller per attempt in flight (`close` aborts them): no listener piles up on a shared signal. */
  readonly #attempts = new Set<AbortController>();
  /** seq → since when its attempts meet `no_route` for a jump host, on end. */
  readonly #noRouteSince = new Map<number, number>();
  /**
   * Entries that yielded their place (no route to a jump host): claimed in
   * the store, so later entries of their destination do not wait behind
   * them; retried from here, outside the destination's window.
   */
  readonly #yielded = new Map<number, Yielded>();
  readonly #yieldedAt = new MinHeap<{ seq: number; at: number }>((y) => y.at);
  readonly #jumpHostNoRouteMs: number;
  /** Destination → when `peerIsBack` last woke it. */
  readonly #wokenAt = new Map<string, number>();
  #timer: NodeJS.Timeout | null = null;
  #immediate: NodeJS.Immediate | null = null;
  #timerAt = Infinity;
  #running = false;
  #stopped = false;

  constructor(opts: DispatcherOptions) {
    super();
    this.#store = opts.store;
    this.#deliver = opts.deliver;
    this.#log = opts.logger;
    this.#concurrency = opts.concurrency ?? 512;
    this.#perDest = opts.perDestination ?? 8;
    this.#pipeline = this.#perDest === 1 ? Math.max(1, opts.orderedPipeline ?? 1) : 1;
    this.#backoff = opts.backoff ?? { baseMs: 500, capMs: 60_000 };
    this.#jumpHostNoRouteMs = opts.jumpHostNoRouteMs ?? JUMP_HOST_NO_ROUTE_MS;
    this.#now = opts.now ?? Date.now;
  }

  /** Entries that yielded their place and wait for a way to their jump host. */
  get yielded(): number {
    return this.#yielded.size;
  }

  /**
   * Makes what waits for `dest` (every destination with null) due now: a
   * link came up, routes were learned. Entries that yielded their place
   * are tried again too.
   */
  wake(dest: string | null): void {
    if (this.#stopped) return;
    const now = this.#now();
    this.#store.wake(dest, now);
    for (const [seq, y] of this.#yielded) {
      if (dest !== null && y.entry.dest !== dest) continue;
      y.at = now;
      this.#yieldedAt.push({ seq, at: now });
    }
    this.kick();
  }

  /**
   * `peer` showed it is reachable (a message came from it, over a link,
   * HTTPS or a backend): if its messages wait for a retry, they go now, not
   * at the end of their backoff (at most once a second per peer).
   */
  peerIsBack(peer: string): void {
    if (!this.#failing.has(peer)) return;
    const now = this.#now();
    if ((this.#wokenAt.get(peer) ?? -Infinity) > now - PEER_BACK_WAKE_MS) return;
    this.#wokenAt.set(peer, now);
    if (this.#wokenAt.size > 10_000) this.#wokenAt.delete(this.#wokenAt.keys().next().value!);
    this.#store.wake(peer, now);
    this.kick();
  }

  /** Attempts in flight now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Looks for due work now (call after enqueueing, or when a destination comes back). */
  kick(): void {
    if (this.#stopped) return;
    this.#schedule(0);
  }

  #schedule(delayMs: number): void {
    if (delayMs <= 0) {
      // Now: on the next turn of the event loop (a 0 ms timer waits at least 1 ms).
      if (this.#immediate) return;
      // Not unref'd: an unref'd immediate does not stop the loop from blocking in poll, so it would wait for the next
      // timer or I/O (up to a second seen in tests); a ref'd one runs on the next turn and is gone.
      this.#immediate = setImmediate(() => {
        this.#immediate = null;
        this.#pump();
      });
      return;
    }
    const at = this.#now() + delayMs;
    if (this.#timer && this.#timerAt <= at) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#timerAt = Infinity;
      this.#pump();
    }, Math.max(0, delayMs));
    this.#timer.unref();
  }

  #windowOf(dest: string): number {
    if (this.#failing.has(dest)) return 1;
    if (this.#pipeline === 1) return this.#perDest;
    // Strict order: more in flight only behind a first attempt that went over a link.
    const lane = this.#pins.get(dest)?.lane;
    return lane !== undefined && lane !== null ? this.#pipeline : 1;
  }

  #busyDestinations(): Set<string> {
    const busy = new Set<string>();
    for (const [dest, n] of this.#perDestInFlight) if (n >= this.#windowOf(dest)) busy.add(dest);
    return busy;
  }

  #pump(): void {
    if (this.#stopped || this.#running) return;
    this.#running = true;
    try {
      const now = this.#now();
      for (const e of this.#store.takeExpired(now)) this.emit('expired', e);
      let busy = this.#busyDestinations();
      while (this.#inFlight.size < this.#concurrency) {
        const room = (dest: string): number => this.#windowOf(dest) - (this.#perDestInFlight.get(dest) ?? 0);
        const batch = this.#store.due(now, this.#concurrency - this.#inFlight.size, busy, room);
        if (batch.length === 0) break;
        let started = 0;
        for (const entry of batch) {
          if (this.#inFlight.size >= this.#concurrency) break;
          if ((this.#perDestInFlight.get(entry.dest) ?? 0) >= this.#windowOf(entry.dest)) continue;
          this.#start(entry);
          started++;
        }
        busy = this.#busyDestinations();
        if (started === 0) break;
      }
      this.#retryYielded(now);
      // Wake for the next retry or the next expiry. (Entries due now for busy destinations wait for a completion, which kicks.)
      const wakes = [this.#store.nextAttemptAt(), this.#store.nextExpiryAt(), this.#nextYieldedAt()].filter((t): t is number => t !== null);
      if (wakes.length > 0 && this.#inFlight.size < this.#concurrency) this.#schedule(Math.max(Math.min(...wakes) - this.#now() + 1, 1));
    } catch (err) {
      this.#log.error({ err }, 'outbox pump failed');
      this.#schedule(1000);
    } finally {
      this.#running = false;
    }
  }

  #start(entry: OutboxEntry): void {
    this.#store.claim(entry.seq);
    const before = this.#perDestInFlight.get(entry.dest) ?? 0;
    this.#perDestInFlight.set(entry.dest, before + 1);
    let pin: DeliveryPin | undefined;
    if (this.#pipeline > 1) {
      pin = before === 0 ? { lane: undefined } : this.#pins.get(entry.dest);
      if (pin) this.#pins.set(entry.dest, pin);
    }
    const p: Promise<void> = this.#attempt(entry, pin).finally(() => {
      this.#inFlight.delete(p);
      const n = (this.#perDestInFlight.get(entry.dest) ?? 1) - 1;
      if (n <= 0) {
        this.#perDestInFlight.delete(entry.dest);
        this.#pins.delete(entry.dest);
      } else this.#perDestInFlight.set(entry.dest, n);
      this.kick();
    });
    this.#inFlight.add(p);
  }

  /** Entries that yielded their place and whose time came: tried again (outside their destination's window), or expired. */
  #retryYielded(now: number): void {
    for (let top = this.#yieldedAt.peek(); top && top.at <= now && this.#inFlight.size < this.#concurrency; top = this.#yieldedAt.peek()) {
      this.#yieldedAt.pop();
      const y = this.#yielded.get(top.seq);
      if (!y || y.at !== top.at) continue; // stale
      this.#yielded.delete(top.seq);
      const entry = y.entry;
      if (!this.#store.has(entry.seq)) {
        this.#noRouteSince.delete(entry.seq); // replaced by a newer message with its Topic meanwhile: nothing to send
        continue;
      }
      if (entry.expiresAt <= now) {
        this.#noRouteSince.delete(entry.seq);
        this.#store.remove(entry.seq);
        this.emit('expired', entry);
        continue;
      }
      const p: Promise<void> = this.#attempt(entry, undefined).finally(() => {
        this.#inFlight.delete(p);
        this.kick();
      });
      this.#inFlight.add(p);
    }
  }

  #nextYieldedAt(): number | null {
    for (let top = this.#yieldedAt.peek(); top; top = this.#yieldedAt.peek()) {
      if (this.#yielded.get(top.seq)?.at === top.at) return top.at;
      this.#yieldedAt.pop();
    }
    return null;
  }

  /**
   * No way to the entry's jump host: it yields its place (later entries of
   * its destination go), and is tried again with backoff, until it found
   * none for `jumpHostNoRouteMs` on end: then it is rejected `no_route`.
   */
  #yieldPlace(entry: OutboxEntry, reason: string): void {
    const now = this.#now();
    const since = this.#noRouteSince.get(entry.seq) ?? now;
    if (now - since >= this.#jumpHostNoRouteMs) {
      this.#noRouteSince.delete(entry.seq);
      this.#store.remove(entry.seq);
      this.emit('rejected', entry, `no_route: ${reason}, for ${Math.round((now - since) / 1000)} s`);
      return;
    }
    this.#noRouteSince.set(entry.seq, since);
    const delay = backoffDelay(entry.attempts, this.#backoff);
    entry.attempts++;
    // Tried again at the end of its backoff, at the latest when it would be given up, and before it expires.
    const at = Math.min(now + delay, since + this.#jumpHostNoRouteMs, entry.expiresAt);
    this.#yielded.set(entry.seq, { entry, at });
    this.#yieldedAt.push({ seq: entry.seq, at });
    this.emit('retry', entry, reason, at - now);
  }

  async #attempt(entry: OutboxEntry, pin: DeliveryPin | undefined): Promise<void> {
    let result: DeliveryResult;
    const controller = new AbortController();
    this.#attempts.add(controller);
    try {
      result = await this.#deliver(entry, controller.signal, pin);
    } catch (err) {
      result = { kind: 'retry', reason: (err as Error).message };
    } finally {
      this.#attempts.delete(controller);
    }
    try {
      if (this.#stopped && result.kind === 'retry') return; // stays queued (claimed) for the next start, which wakes it
      if (result.kind !== 'retry' || !result.noRouteToJumpHost) this.#noRouteSince.delete(entry.seq);
      switch (result.kind) {
        case 'delivered':
          // It answered: what else waits for it goes now, not at the end of its backoff.
          if (this.#failing.delete(entry.dest)) this.#store.wake(entry.dest, this.#now());
          this.#wokenAt.delete(entry.dest);
          this.#store.remove(entry.seq);
          this.emit('delivered', entry);
          break;
        case 'rejected':
          this.#failing.delete(entry.dest);
          this.#store.remove(entry.seq);
          this.emit('rejected', entry, result.reason);
          break;
        case 'retry': {
          if (result.noRouteToJumpHost) {
            this.#yieldPlace(entry, result.reason);
            break;
          }
          this.#failing.add(entry.dest);
          const delay = backoffDelay(entry.attempts, this.#backoff);
          this.#store.scheduleRetry(entry.seq, this.#now() + delay, this.#now());
          this.emit('retry', entry, result.reason, delay);
          break;
        }
      }
    } catch (err) {
      // The store is closed (node stopped now) or failed: the entry stays on disk and is retried on the next start.
      this.#log.error({ err, msg_id: entry.id }, 'could not record a delivery outcome');
    }
  }

  /** Finishes attempts in flight, then stops; queued entries stay on disk. */
  async drain(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Stops now: aborts attempts in flight (they stay queued). */
  async close(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    const reason = new Error('outbox closed');
    for (const c of this.#attempts) c.abort(reason);
    await Promise.allSettled([...this.#inFlight]);
  }
}
