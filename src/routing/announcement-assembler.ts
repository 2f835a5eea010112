import type { NodeId } from '../identity/types.js';
import type { RouteAnnouncement } from './types.js';

export type Assembled =
  /** Complete and in sequence: learn from it. `dropped`: routes and withdrawals left out to keep it within the peer's bound. */
  | { kind: 'apply'; ann: RouteAnnouncement; dropped: number }
  /** A part of an announcement whose other parts have not all arrived. */
  | { kind: 'wait' }
  /** Older than (or the same as) what was applied: ignored. */
  | { kind: 'stale' }
  /** Changes to a generation this node does not have: ignored; ask the announcer for a full one. */
  | { kind: 'resync' };

export interface AssemblerOptions {
  /**
   * Most routes plus withdrawals kept for one incomplete generation of a
   * peer (default: unbounded). What comes beyond is left out (and counted
   * in `dropped`), so parts waiting for the rest never hold more than this
   * (and a few bytes per part: at most 10,000 parts, routing/wire.ts).
   */
  maxItems?: (peer: NodeId) => number;
}

interface Pending {
  generation: number;
  parts: number;
  /** What the parts say besides routes and withdrawals (the same in every part of a generation). */
  head: RouteAnnouncement;
  /** part → its routes and withdrawals kept (null: nothing kept, all over the bound). */
  got: Map<number, Pick<RouteAnnouncement, 'routes' | 'withdrawn'> | null>;
  /** Routes and withdrawals held. */
  items: number;
  dropped: number;
}

/**
 * The receiving side of numbered announcements (docs/routing.md): puts
 * parts back together, applies generations in order, and spots an
 * incremental announcement whose base is not the generation last
 * applied. Holds at most one incomplete generation per announcer, of at
 * most `maxItems` routes and withdrawals.
 */
export class AnnouncementAssembler {
  readonly #applied = new Map<NodeId, number>();
  readonly #pending = new Map<NodeId, Pending>();
  readonly #maxItems: (peer: NodeId) => number;

  constructor(opts: AssemblerOptions = {}) {
    this.#maxItems = opts.maxItems ?? (() => Number.POSITIVE_INFINITY);
  }

  add(peer: NodeId, ann: RouteAnnouncement): Assembled {
    const generation = ann.generation ?? 0;
    if (generation === 0) return { kind: 'apply', ann, dropped: 0 }; // not numbered: as it comes (one message, bounded by its size)
    const applied = this.#applied.get(peer) ?? 0;
    if (generation <= applied) return { kind: 'stale' };
    let whole = ann;
    let dropped = 0;
    const parts = ann.parts ?? 1;
    if (parts > 1) {
      let p = this.#pending.get(peer);
      if (p && p.generation > generation) return { kind: 'stale' };
      if (!p || p.generation < generation) {
        p = { generation, parts, head: { ...ann, routes: [], withdrawn: [] }, got: new Map(), items: 0, dropped: 0 };
        this.#pending.set(peer, p);
      }
      if (parts !== p.parts) return { kind: 'stale' };
      const index = ann.part ?? 0;
      if (!p.got.has(index)) {
        const room = Math.max(0, this.#maxItems(peer) - p.items);
        const routes = ann.routes.slice(0, room);
        const withdrawn = ann.withdrawn.slice(0, room - routes.length);
        p.dropped += ann.routes.length - routes.length + ann.withdrawn.length - withdrawn.length;
        p.items += routes.length + withdrawn.length;
        p.got.set(index, routes.length + withdrawn.length > 0 ? { routes, withdrawn } : null);
      }
      if (p.got.size < p.parts) return { kind: 'wait' };
      this.#pending.delete(peer);
      const all = [...p.got.entries()].sort((a, b) => a[0] - b[0]).map(([, a]) => a);
      whole = { ...p.head, routes: all.flatMap((a) => a?.routes ?? []), withdrawn: all.flatMap((a) => a?.withdrawn ?? []), part: 0, parts: 1 };
      dropped = p.dropped;
    }
    if (!whole.full && (whole.base ?? 0) !== applied) return { kind: 'resync' };
    this.#applied.set(peer, generation);
    return { kind: 'apply', ann: whole, dropped };
  }

  /** The link to `peer` dropped: what comes next from it starts afresh (with a full announcement). */
  forget(peer: NodeId): void {
    this.#applied.delete(peer);
    this.#pending.delete(peer);
  }
}
