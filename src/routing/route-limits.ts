import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { NodeId } from '../identity/types.js';

/**
 * Bounds on what linked peers can make a node remember about routes
 * (docs/routing.md, "Limits"): whatever they announce, the route table,
 * the chains kept to re-announce, and the parts waiting to be put together
 * stay within these.
 */
export interface RouteLimits {
  /** Routes to other nodes learned from one peer trusted for transit (on `peers.allow`, CA-signed, or in `transitPeers`). */
  maxRoutesPerPeer: number;
  /** Routes to other nodes learned from any other peer (0: only its own attachment). */
  maxRoutesPerUnlistedPeer: number;
  /** Routes learned from all peers together. */
  maxRoutes: number;
  /** Announcement messages (parts) taken from one peer per minute, on average; a peer may send a whole full announcement at once. */
  announcementsPerMinute: number;
}

export const DEFAULT_ROUTE_LIMITS: RouteLimits = {
  maxRoutesPerPeer: 10_000,
  maxRoutesPerUnlistedPeer: 100,
  maxRoutes: 20_000,
  announcementsPerMinute: 600,
};

/** Why routes (or whole announcement parts) were not taken. */
export type RouteRefusal =
  /** The peer announced more than its cap (per peer, smaller for a peer not trusted for transit). */
  | 'peer_limit'
  /** All peers together are at `maxRoutes`. */
  | 'total_limit'
  /** The peer sent announcements faster than `announcementsPerMinute` (counted in parts). */
  | 'rate_limit'
  /** A route that does not verify (signature, chain, expiry). */
  | 'invalid';

/** How often a refusal is logged at most (per reason), ms. */
const LOG_INTERVAL_MS = 60_000;

/**
 * Parts a peer may send at once: a whole full announcement at its cap
 * (about four routes per part for two-hop chains), and at least a minute's
 * worth.
 */
export function announcementBurst(limits: RouteLimits, cap: number): number {
  return Math.max(limits.announcementsPerMinute, Math.ceil(cap / 4) + 10);
}

/**
 * Per-peer token buckets for announcement parts, and the refusal counter
 * and its throttled log: a flood is counted in full but logged once per
 * minute per reason, with how many were refused since the line before.
 */
export class RouteGuard {
  readonly limits: RouteLimits;
  /** Routes (or parts, for `rate_limit`) refused, by reason. */
  readonly refused: Counter<'reason'>;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #buckets = new Map<NodeId, { tokens: number; at: number }>();
  readonly #logged = new Map<RouteRefusal, { at: number; since: number }>();

  constructor(opts: { limits?: Partial<RouteLimits>; logger: Logger; registry?: Registry; now?: () => number }) {
    this.limits = { ...DEFAULT_ROUTE_LIMITS, ...definedOnly(opts.limits ?? {}) };
    this.#log = opts.logger;
    this.#now = opts.now ?? Date.now;
    this.refused = new Counter({
      name: 'pushmesh_routes_refused_total',
      help: 'Announced routes not learned, by reason: peer_limit, total_limit, invalid (routes); rate_limit (announcement parts)',
      labelNames: ['reason'],
      registers: opts.registry ? [opts.registry] : [],
    });
  }

  /** The most routes to other nodes this node keeps from `peer`. */
  capOf(trusted: boolean): number {
    return trusted ? this.limits.maxRoutesPerPeer : this.limits.maxRoutesPerUnlistedPeer;
  }

  /** Takes one announcement part from `peer` if its bucket allows (a part refused is counted and logged). */
  admit(peer: NodeId, trusted: boolean): boolean {
    const now = this.#now();
    const burst = announcementBurst(this.limits, this.capOf(trusted));
    const rate = this.limits.announcementsPerMinute / 60_000;
    let b = this.#buckets.get(peer);
    if (!b) {
      if (this.#buckets.size >= 1024) this.#sweep(now);
      this.#buckets.set(peer, (b = { tokens: burst, at: now }));
    }
    b.tokens = Math.min(burst, b.tokens + (now - b.at) * rate);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    this.refuse(peer, 'rate_limit', 1);
    return false;
  }

  /** Counts `n` refused routes (or parts) and logs it, at most once per minute per reason. */
  refuse(peer: NodeId, reason: RouteRefusal, n: number, detail?: string): void {
    if (n <= 0) return;
    this.refused.inc({ reason }, n);
    const now = this.#now();
    const l = this.#logged.get(reason);
    if (l && now - l.at < LOG_INTERVAL_MS) {
      l.since += n;
      return;
    }
    const earlier = l?.since ?? 0;
    this.#logged.set(reason, { at: now, since: 0 });
    this.#log.warn(
      { peer, reason, refused: n, refusedSinceLastLog: earlier, limits: this.limits, ...(detail ? { detail } : {}) },
      reason === 'invalid' ? 'refused announced routes that do not verify (logged once a minute)' : 'refused announced routes over a limit (logged once a minute)',
    );
  }

  /** Buckets of peers silent for 10 minutes are full again: they need not be kept (peers come and go under throwaway keys). */
  #sweep(now: number): void {
    for (const [peer, b] of this.#buckets) if (now - b.at > 600_000) this.#buckets.delete(peer);
  }
}

/** The route limits set in `o` (which may hold other limits too, NodeLimits say). */
function definedOnly(o: Partial<RouteLimits>): Partial<RouteLimits> {
  const out: Partial<RouteLimits> = {};
  for (const k of Object.keys(DEFAULT_ROUTE_LIMITS) as (keyof RouteLimits)[]) {
    const v = o[k];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[k] = v;
  }
  return out;
}
