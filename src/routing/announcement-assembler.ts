import type { NodeId } from '../identity/types.js';
import type { RouteAnnouncement } from './types.js';

export type Assembled =
  /** Complete and in sequence: learn from it. */
  | { kind: 'apply'; ann: RouteAnnouncement }
  /** A part of an announcement whose other parts have not all arrived. */
  | { kind: 'wait' }
  /** Older than (or the same as) what was applied: ignored. */
  | { kind: 'stale' }
  /** Changes to a generation this node does not have: ignored; ask the announcer for a full one. */
  | { kind: 'resync' };

/**
 * The receiving side of numbered announcements (docs/routing.md): puts
 * parts back together, applies generations in order, and spots an
 * incremental announcement whose base is not the generation last
 * applied. Holds at most one incomplete generation per announcer.
 */
export class AnnouncementAssembler {
  readonly #applied = new Map<NodeId, number>();
  readonly #pending = new Map<NodeId, { generation: number; parts: number; got: Map<number, RouteAnnouncement> }>();

  add(peer: NodeId, ann: RouteAnnouncement): Assembled {
    const generation = ann.generation ?? 0;
    if (generation === 0) return { kind: 'apply', ann }; // not numbered: as it comes
    const applied = this.#applied.get(peer) ?? 0;
    if (generation <= applied) return { kind: 'stale' };
    let whole = ann;
    const parts = ann.parts ?? 1;
    if (parts > 1) {
      let p = this.#pending.get(peer);
      if (p && p.generation > generation) return { kind: 'stale' };
      if (!p || p.generation < generation) this.#pending.set(peer, (p = { generation, parts, got: new Map() }));
      if (parts !== p.parts) return { kind: 'stale' };
      p.got.set(ann.part ?? 0, ann);
      if (p.got.size < p.parts) return { kind: 'wait' };
      this.#pending.delete(peer);
      const all = [...p.got.entries()].sort((a, b) => a[0] - b[0]).map(([, a]) => a);
      whole = { ...all[0]!, routes: all.flatMap((a) => a.routes), withdrawn: all.flatMap((a) => a.withdrawn), part: 0, parts: 1 };
    }
    if (!whole.full && (whole.base ?? 0) !== applied) return { kind: 'resync' };
    this.#applied.set(peer, generation);
    return { kind: 'apply', ann: whole };
  }

  /** The link to `peer` dropped: what comes next from it starts afresh (with a full announcement). */
  forget(peer: NodeId): void {
    this.#applied.delete(peer);
    this.#pending.delete(peer);
  }
}
