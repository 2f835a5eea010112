import type { Logger } from 'pino';
import type { NodeId } from '../identity/types.js';
import { AccessPolicy } from '../transport/auth/access-policy.js';

/** A node ID that no allow list names: a list that admits it admits everyone (there is none). */
const NOBODY = 'a'.repeat(52);

export interface TransitPolicyOptions {
  home: string;
  /** `transitPeers` from the config. */
  peers: readonly string[];
  /** Whether the live link to `peer` was authenticated by a certificate of the trust CA. */
  caSigned: (peer: NodeId) => boolean;
  logger: Logger;
}

/**
 * Which linked peers are trusted to announce routes to other nodes (relays
 * chained behind this one) up to `maxRoutesPerPeer` (docs/routing.md,
 * "Limits"): a peer named in `peers.allow`, one whose certificate the trust
 * CA signed, or one in `transitPeers`. Any other peer (a stranger on an
 * open relay) gets `maxRoutesPerUnlistedPeer`. The allow list is read and
 * watched like the link access lists (same file, same rules).
 */
export class TransitPolicy {
  readonly #peers: ReadonlySet<string>;
  readonly #caSigned: (peer: NodeId) => boolean;
  readonly #lists: AccessPolicy;

  constructor(opts: TransitPolicyOptions) {
    this.#peers = new Set(opts.peers);
    this.#caSigned = opts.caSigned;
    this.#lists = new AccessPolicy(opts.home, opts.logger.child({ component: 'routing' }));
    this.#lists.start().catch((err: unknown) => opts.logger.warn({ err }, 'cannot read peers.allow for route announcements; peers not in transitPeers get the unlisted cap'));
  }

  allowed(peer: NodeId): boolean {
    return this.#peers.has(peer) || this.#caSigned(peer) || this.#listed(peer);
  }

  /** Named in `peers.allow` (an absent file names nobody). */
  #listed(peer: NodeId): boolean {
    const probe = (id: NodeId): boolean => this.#lists.check({ id, caSigned: false, direction: 'inbound' }).ok;
    return probe(peer) && !probe(NOBODY);
  }

  close(): void {
    this.#lists.stop();
  }
}
