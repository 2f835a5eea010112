import type { NodeId } from '../identity/types.js';
import type { RouteEntry } from '../core/route-entry.js';

interface Learned {
  hops: number;
  expires: number;
}

/** What the table says about reaching a node. */
export type Lookup =
  | { kind: 'link' | 'announced' | 'upstream'; next: NodeId; hops: number }
  /** The node was linked here and left, or the peer it was announced by is away: hold its messages here (store-and-forward) until it is back. */
  | { kind: 'departed'; until: number }
  | { kind: 'none' };

export interface RouteTableOptions {
  /** How long a node that was linked here is remembered after its link drops, ms. */
  departedMs?: number;
  now?: () => number;
}

/**
 * This node's routes: its links (direct peers, some of them upstreams),
 * the routes each linked peer announced (signed chains, checked before they
 * get here), and the nodes that were linked and left, whose messages wait
 * here. Routes learned from a peer outlive its link (down, until they
 * expire): this node stays the last hop that knows the way.
 */
export class RouteTable {
  readonly #links = new Map<NodeId, { upstream: boolean; since: number }>();
  /** dest → announcing peer → route. */
  readonly #learned = new Map<NodeId, Map<NodeId, Learned>>();
  /** announcing peer → the destinations it announced (so replacing or forgetting one peer's routes touches only those). */
  readonly #byPeer = new Map<NodeId, Set<NodeId>>();
  readonly #departed = new Map<NodeId, number>();
  readonly #departedMs: number;
  readonly #now: () => number;

  constructor(opts: RouteTableOptions = {}) {
    this.#departedMs = opts.departedMs ?? 24 * 3600 * 1000;
    this.#now = opts.now ?? Date.now;
  }

  linkUp(peer: NodeId, opts: { upstream: boolean }): void {
    this.#links.set(peer, { upstream: opts.upstream, since: this.#now() });
    this.#departed.delete(peer);
  }

  /**
   * The link to `peer` dropped: remember it as departed, and keep what it
   * announced (until each route expires) as routes that are down: messages
   * for those nodes wait here, the last hop that knows the way, until `peer`
   * is back or another route comes up.
   */
  linkDown(peer: NodeId): void {
    const link = this.#links.get(peer);
    if (!link) return;
    this.#links.delete(peer);
    this.#departed.set(peer, this.#now() + this.#departedMs);
  }

  /** Remembers `peer` as departed until `until` (e.g. from an attachment kept on disk across a restart), unless it is linked. */
  markDeparted(peer: NodeId, until: number): void {
    if (this.#links.has(peer) || until <= this.#now()) return;
    this.#departed.set(peer, Math.max(until, this.#departed.get(peer) ?? 0));
  }

  isLinked(peer: NodeId): boolean {
    return this.#links.has(peer);
  }

  /** Routes announced by `peer` (already verified). `full` replaces what it announced before. */
  learn(peer: NodeId, routes: { dest: NodeId; hops: number; expires: number }[], opts: { full: boolean; withdrawn?: NodeId[] }): void {
    if (!this.#links.has(peer)) return;
    if (opts.full) this.forget(peer);
    for (const dest of opts.withdrawn ?? []) this.#unlearn(peer, dest);
    let mine = this.#byPeer.get(peer);
    if (!mine && routes.length > 0) this.#byPeer.set(peer, (mine = new Set()));
    for (const r of routes) {
      let by = this.#learned.get(r.dest);
      if (!by) this.#learned.set(r.dest, (by = new Map()));
      by.set(peer, { hops: r.hops, expires: r.expires });
      mine!.add(r.dest);
    }
  }

  /** Drops every route `peer` announced (whether its link is up or not). */
  forget(peer: NodeId): void {
    for (const dest of this.#byPeer.get(peer) ?? []) this.#unlearn(peer, dest);
    this.#byPeer.delete(peer);
  }

  /** How many destinations `peer` announced routes to (null: all peers together). */
  learnedCount(peer: NodeId | null = null): number {
    if (peer !== null) return this.#byPeer.get(peer)?.size ?? 0;
    let n = 0;
    for (const dests of this.#byPeer.values()) n += dests.size;
    return n;
  }

  #unlearn(peer: NodeId, dest: NodeId): void {
    const by = this.#learned.get(dest);
    if (by?.delete(peer) && by.size === 0) this.#learned.delete(dest);
    const mine = this.#byPeer.get(peer);
    if (mine?.delete(dest) && mine.size === 0) this.#byPeer.delete(peer);
  }

  /** How to reach `dest`, never back through `except` (the peer a message came from). */
  lookup(dest: NodeId, except: NodeId | null = null): Lookup {
    const now = this.#now();
    if (this.#links.has(dest) && dest !== except) return { kind: 'link', next: dest, hops: 1 };
    let best: { next: NodeId; hops: number } | null = null;
    /** Latest expiry of a route through a peer whose link is down. */
    let down = 0;
    const by = this.#learned.get(dest);
    if (by) {
      for (const [peer, r] of by) {
        if (r.expires <= now) {
          by.delete(peer);
          const mine = this.#byPeer.get(peer);
          if (mine?.delete(dest) && mine.size === 0) this.#byPeer.delete(peer);
          continue;
        }
        if (peer === except) continue;
        if (!this.#links.has(peer)) down = Math.max(down, r.expires);
        else if (!best || r.hops < best.hops) best = { next: peer, hops: r.hops };
      }
      if (by.size === 0) this.#learned.delete(dest);
    }
    if (best) return { kind: 'announced', ...best };
    const gone = this.#departed.get(dest);
    if (gone !== undefined) {
      if (gone > now) return { kind: 'departed', until: Math.max(gone, down) };
      this.#departed.delete(dest);
    }
    if (down > 0) return { kind: 'departed', until: down };
    for (const [peer, l] of this.#links) if (l.upstream && peer !== except) return { kind: 'upstream', next: peer, hops: 0 };
    return { kind: 'none' };
  }

  /** Nodes reachable through this node, for announcing to an upstream (direct links and learned routes, not upstreams). */
  reachable(): { dest: NodeId; via: NodeId | null }[] {
    const now = this.#now();
    const out: { dest: NodeId; via: NodeId | null }[] = [];
    for (const [peer, l] of this.#links) if (!l.upstream) out.push({ dest: peer, via: null });
    for (const [dest, by] of this.#learned) {
      if (this.#links.has(dest)) continue;
      for (const [peer, r] of by) {
        if (r.expires > now && !this.#links.get(peer)?.upstream) {
          out.push({ dest, via: peer });
          break;
        }
      }
    }
    return out;
  }

  /** The table for `GET /routes`. */
  list(): RouteEntry[] {
    const now = this.#now();
    const rows: RouteEntry[] = [];
    for (const peer of this.#links.keys()) rows.push({ dest: peer, next: peer, hops: 1, kind: 'link', up: true, expires: null });
    for (const [peer, l] of this.#links) if (l.upstream) rows.push({ dest: '*', next: peer, hops: 0, kind: 'upstream', up: true, expires: null });
    for (const [dest, by] of this.#learned) {
      for (const [peer, r] of by) if (r.expires > now) rows.push({ dest, next: peer, hops: r.hops, kind: 'announced', up: this.#links.has(peer), expires: r.expires });
    }
    for (const [dest, until] of this.#departed) if (until > now) rows.push({ dest, next: dest, hops: 1, kind: 'link', up: false, expires: until });
    return rows.sort((a, b) => a.dest.localeCompare(b.dest) || a.hops - b.hops);
  }
}
