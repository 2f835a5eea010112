import type { NodeId } from '../identity/types.js';
import type { AccessPolicy } from '../transport/auth/access-policy.js';

/** A node ID that no allow list names: a list that admits it admits everyone (there is none). */
const NOBODY = 'a'.repeat(52);

export interface TransitPolicyOptions {
  /** `transitPeers` from the config. */
  peers: readonly string[];
  /** Whether the live link to `peer` was authenticated by a certificate of the trust CA. */
  caSigned: (peer: NodeId) => boolean;
  /** The node's access lists (the link manager's: one reader and watcher of peers.allow per node). */
  lists: () => Pick<AccessPolicy, 'check'>;
}

/**
 * Which linked peers are trusted to announce routes to other nodes (relays
 * chained behind this one) up to `maxRoutesPerPeer` (docs/routing.md,
 * "Limits"): a peer named in `peers.allow`, one whose certificate the trust
 * CA signed, or one in `transitPeers`. Any other peer (a stranger on an
 * open relay) gets `maxRoutesPerUnlistedPeer`. The allow list is the
 * node's own (the same lists that admit links).
 */
export class TransitPolicy {
  readonly #peers: ReadonlySet<string>;
  readonly #caSigned: (peer: NodeId) => boolean;
  readonly #lists: () => Pick<AccessPolicy, 'check'>;

  constructor(opts: TransitPolicyOptions) {
    this.#peers = new Set(opts.peers);
    this.#caSigned = opts.caSigned;
    this.#lists = opts.lists;
  }

  allowed(peer: NodeId): boolean {
    return this.#peers.has(peer) || this.#caSigned(peer) || this.#listed(peer);
  }

  /** Named in `peers.allow` (an absent file names nobody). */
  #listed(peer: NodeId): boolean {
    const lists = this.#lists();
    const probe = (id: NodeId): boolean => lists.check({ id, caSigned: false, direction: 'inbound' }).ok;
    return probe(peer) && !probe(NOBODY);
  }
}
