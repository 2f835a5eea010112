import { LRUCache } from 'lru-cache';
import type { NodeId } from '../identity/types.js';
import type { WebpushMessage } from '../message/types.js';
import type { NackReason } from '../proto/status.js';
import type { RouteTable } from './route-table.js';

/** What became of a relayed message: the answer its previous hop gets. */
export type RelayOutcome = { ok: true } | { ok: false; reason: NackReason };

/** What to do with a message, decided from its routing fields alone (relays never decrypt). */
export type Decision =
  /** It is for this node: open it and hand it to apps. */
  | { action: 'deliver' }
  /** Hand `wire` (path, hop limit and via updated) to the linked peer `next`, on the way to `target` (first jump host, else the destination). */
  | { action: 'forward'; next: NodeId; target: NodeId; wire: WebpushMessage }
  /** `target` is not reachable now but was linked here (or announced by a peer that is away): keep `wire` on disk until it is back (within the TTL). */
  | { action: 'hold'; target: NodeId; wire: WebpushMessage }
  /**
   * Seen this message ID from this origin before. Without `pending` it was
   * passed on (forwarded or held) already: acknowledge, do nothing. With
   * `pending` the first copy is still on its way: answer this copy with what
   * `pending` resolves, the first copy's outcome (docs/routing.md, rule 7).
   */
  | { action: 'duplicate'; pending?: Promise<RelayOutcome> }
  | { action: 'nack'; reason: NackReason; detail: string };

/**
 * The forwarding rules of docs/routing.md: loop and hop-limit checks,
 * dedupe by (origin, message ID), source routes (`via`), then the route
 * table. VAPID is verified by the caller before `decide`.
 */
export class Router {
  readonly #self: NodeId;
  readonly #table: RouteTable;
  /** (origin, id) of messages passed on: forwarded and ACKed by the next hop, or held here. */
  readonly #seen: LRUCache<string, true>;
  /**
   * (origin, id) of messages this node is passing on now (a forward waiting
   * for the next hop, a hold being written): a copy that comes meanwhile
   * (the previous hop retried over another link) waits for this outcome.
   * Bounded by the messages in flight on the links.
   */
  readonly #pending = new Map<string, { promise: Promise<RelayOutcome>; resolve: (o: RelayOutcome) => void }>();
  readonly #holdWithoutRoute: () => boolean;

  /**
   * `holdWithoutRoute`: when it answers true (a shared fabric is there, which
   * may know a relay the destination is attached to), a target with no route
   * is held instead of refused with `no_route`.
   */
  constructor(self: NodeId, table: RouteTable, opts: { dedupeSize?: number; holdWithoutRoute?: () => boolean } = {}) {
    this.#self = self;
    this.#table = table;
    this.#holdWithoutRoute = opts.holdWithoutRoute ?? (() => false);
    this.#seen = new LRUCache({ max: opts.dedupeSize ?? 100_000, ttl: 24 * 3600 * 1000 });
  }

  /**
   * `from` is the linked peer the message came from, or null when this node
   * is the origin (or it comes off this node's own queue).
   */
  decide(wire: WebpushMessage, from: NodeId | null): Decision {
    const relaying = from !== null;
    if (relaying) {
      if (wire.from === this.#self) return { action: 'nack', reason: 'hop_limit', detail: 'loop: the message came back to its origin' };
      if (wire.path.includes(this.#self)) return { action: 'nack', reason: 'hop_limit', detail: 'loop: this node is already in the path' };
    }
    const via = wire.via[0] === this.#self ? wire.via.slice(1) : wire.via;
    if (wire.to === this.#self) {
      // Remaining jump hosts do not matter once the destination has it.
      if (!this.#firstTime(wire)) return { action: 'duplicate' };
      return { action: 'deliver' };
    }
    if (relaying && wire.hopLimit === 0) return { action: 'nack', reason: 'hop_limit', detail: 'hop limit reached' };
    if (relaying) {
      // A copy of a message still on its way from here: it gets the first copy's answer, never an ACK ahead of it.
      const pending = this.#pending.get(keyOf(wire));
      if (pending) return { action: 'duplicate', pending: pending.promise };
    }
    const target = via[0] ?? wire.to;
    const route = this.#table.lookup(target, from);
    if (route.kind === 'none' && !this.#holdWithoutRoute()) return { action: 'nack', reason: 'no_route', detail: `no route to ${target}` };
    if (relaying) {
      if (this.#seen.has(keyOf(wire))) return { action: 'duplicate' };
      this.#begin(wire);
    }
    const next: WebpushMessage = relaying
      ? { ...wire, via, path: [...wire.path, this.#self], hopLimit: wire.hopLimit - 1 }
      : { ...wire, via };
    // A departed node, or (with a fabric) one with no route: held here.
    if (route.kind === 'departed' || route.kind === 'none') return { action: 'hold', target, wire: next };
    return { action: 'forward', next: route.next, target, wire: next };
  }

  /** Records (origin, id); false if it was seen before. */
  #firstTime(wire: WebpushMessage): boolean {
    const key = keyOf(wire);
    if (this.#seen.has(key)) return false;
    this.#seen.set(key, true);
    return true;
  }

  /** A relayed message is being passed on: copies wait for `settle`. */
  #begin(wire: WebpushMessage): void {
    let resolve!: (o: RelayOutcome) => void;
    const promise = new Promise<RelayOutcome>((r) => (resolve = r));
    this.#pending.set(keyOf(wire), { promise, resolve });
  }

  /** Messages being passed on now (forwards waiting for their next hop, holds being written). */
  get inFlight(): number {
    return this.#pending.size;
  }

  /**
   * The outcome of a relayed message `decide` returned `forward` or `hold`
   * for, once known: every copy that waited gets it. ACK: later copies are
   * duplicates (ACKed at once). A refusal: the ID is forgotten, so a retry
   * is passed on again, not taken for a duplicate.
   */
  settle(wire: WebpushMessage, outcome: RelayOutcome): void {
    const key = keyOf(wire);
    const p = this.#pending.get(key);
    this.#pending.delete(key);
    if (outcome.ok) this.#seen.set(key, true);
    else this.#seen.delete(key);
    p?.resolve(outcome);
  }

  /** Forgets a message ID (as `settle` with a refusal, for a message with no copy waiting). */
  forget(wire: WebpushMessage): void {
    this.settle(wire, { ok: false, reason: 'queue_full' });
  }
}

function keyOf(wire: Pick<WebpushMessage, 'from' | 'id'>): string {
  return `${wire.from}/${wire.id}`;
}
