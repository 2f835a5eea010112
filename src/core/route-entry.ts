import type { NodeId } from '../identity/types.js';

/** A row of `GET /routes`. */
export interface RouteEntry {
  /** Destination node ID. */
  dest: NodeId;
  /** The linked peer to hand messages for `dest` to. */
  next: NodeId;
  /** Hops from this node: 1 = `next` is `dest`. */
  hops: number;
  /** `link`: a direct link; `announced`: learned from `next`; `upstream`: default route. */
  kind: 'link' | 'announced' | 'upstream';
  /** Whether `next` is connected now (a known route whose link is down holds messages). */
  up: boolean;
  /** Unix ms after which the route is forgotten (null: while the link lasts). */
  expires: number | null;
}
