import type { NodeId } from '../identity/types.js';

/** "node is reachable through relay until expires", signed by node (proto pushmesh.v1.Attachment). */
export interface Attachment {
  node: NodeId;
  relay: NodeId;
  /** Unix ms. */
  expires: number;
  /** 65-byte uncompressed P-256 key of `node`. */
  publicKey: Uint8Array;
  /** ES256 r‖s, 64 bytes. */
  signature: Uint8Array;
}

/** chain[0].node is the destination; chain[i].relay === chain[i+1].node; the last relay announced it. */
export interface Route {
  chain: Attachment[];
}

export interface RouteAnnouncement {
  routes: Route[];
  full: boolean;
  withdrawn: NodeId[];
  /** Numbers announcements from one announcer to one peer (0 or absent: not numbered). */
  generation?: number;
  /** For an incremental one: the generation it changes. */
  base?: number;
  /** Part `part` of `parts` (absent: the only part). */
  part?: number;
  parts?: number;
  /** "Send me a full announcement" (receiver to announcer; no routes). */
  requestFull?: boolean;
}

/**
 * Where a relay keeps the attachments of the nodes linked to it, so that
 * after a restart it still knows (and announces) a node that left before,
 * and holds its messages (docs/routing.md "Store-and-forward").
 */
export interface AttachmentStore {
  /** Every attachment kept, expired ones left out. */
  load(now: number): Attachment[];
  save(a: Attachment): void;
  /** `node` no longer attaches here. */
  remove(node: string): void;
}
