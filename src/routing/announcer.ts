import type { NodeId } from '../identity/types.js';
import { encodeRouteAnnouncement } from './wire.js';
import type { Route, RouteAnnouncement } from './types.js';

/**
 * Most bytes of routes and withdrawals in one announcement part: its
 * protobuf, base64 in JSON, sealed as one pushmesh message, must fit one
 * Web Push body (3,993 bytes of plaintext, docs/wire-format.md).
 */
export const MAX_PART_BYTES = 2_400;

export interface AnnouncerOptions {
  /** Sends one announcement (part) to `peer`, in order with the others to it. */
  send: (peer: NodeId, ann: RouteAnnouncement) => Promise<void>;
  /** A route too long for one part (a chain of more than about 9 hops): it is left out. */
  skipped?: (peer: NodeId, route: Route) => void;
  partBytes?: number;
  now?: () => number;
}

const destOf = (r: Route): NodeId => r.chain[0]!.node;
const shapeOf = (r: Route): string => r.chain.map((a) => a.node).join('>');

/**
 * The sending side of route announcements (docs/routing.md): to each
 * upstream, a full announcement when the link comes up and every few
 * hours (fresh signatures), and in between only what changed (routes
 * added or changed, destinations withdrawn) against the generation sent
 * before; each split into parts that fit one message.
 */
export class Announcer {
  readonly #o: AnnouncerOptions;
  readonly #partBytes: number;
  readonly #now: () => number;
  /** upstream → the generation last sent and the shape of each route in it. */
  readonly #sent = new Map<NodeId, { generation: number; shapes: Map<NodeId, string> }>();
  #lastGeneration = 0;

  constructor(opts: AnnouncerOptions) {
    this.#o = opts;
    this.#partBytes = opts.partBytes ?? MAX_PART_BYTES;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * Announces `routes` (everything reachable through this node for
   * `peer`): all of them when `mode` is `full` or nothing was sent to it
   * yet, else the changes, or nothing when there are none. Resolves the
   * number of parts sent.
   */
  async announce(peer: NodeId, routes: Route[], mode: 'full' | 'changes'): Promise<number> {
    const shapes = new Map(routes.map((r) => [destOf(r), shapeOf(r)]));
    const prev = this.#sent.get(peer);
    let ann: Omit<RouteAnnouncement, 'generation'>;
    if (mode === 'changes' && prev) {
      const changed = routes.filter((r) => prev.shapes.get(destOf(r)) !== shapeOf(r));
      const withdrawn = [...prev.shapes.keys()].filter((d) => !shapes.has(d));
      if (changed.length === 0 && withdrawn.length === 0) return 0;
      ann = changed.length + withdrawn.length > routes.length / 2 ? { routes, full: true, withdrawn: [] } : { routes: changed, full: false, withdrawn, base: prev.generation };
    } else {
      ann = { routes, full: true, withdrawn: [] };
    }
    this.#lastGeneration = Math.max(this.#lastGeneration + 1, this.#now());
    const generation = this.#lastGeneration;
    this.#sent.set(peer, { generation, shapes });
    const parts = this.#split(peer, ann.routes, ann.withdrawn);
    try {
      for (const [i, p] of parts.entries()) await this.#o.send(peer, { ...ann, ...p, generation, part: i, parts: parts.length });
    } catch (err) {
      // The peer may have part of it: the next one is full.
      if (this.#sent.get(peer)?.generation === generation) this.#sent.delete(peer);
      throw err;
    }
    return parts.length;
  }

  /** The link to `peer` dropped: the next announcement to it is full. */
  forget(peer: NodeId): void {
    this.#sent.delete(peer);
  }

  #split(peer: NodeId, routes: Route[], withdrawn: NodeId[]): { routes: Route[]; withdrawn: NodeId[] }[] {
    const parts: { routes: Route[]; withdrawn: NodeId[] }[] = [];
    let cur = { routes: [] as Route[], withdrawn: [] as NodeId[] };
    let size = 0;
    const place = (bytes: number, put: () => void): void => {
      if (size + bytes > this.#partBytes && size > 0) {
        parts.push(cur);
        cur = { routes: [], withdrawn: [] };
        size = 0;
      }
      put();
      size += bytes;
    };
    for (const r of routes) {
      const bytes = encodeRouteAnnouncement({ routes: [r], full: false, withdrawn: [] }).length;
      if (bytes > this.#partBytes) {
        this.#o.skipped?.(peer, r);
        continue;
      }
      place(bytes, () => cur.routes.push(r));
    }
    for (const d of withdrawn) place(d.length + 3, () => cur.withdrawn.push(d));
    parts.push(cur);
    return parts;
  }
}
