import type { PeerStore } from '../identity/peer-store.js';
import type { Card, NodeId } from '../identity/types.js';
import type { PeerInfo } from './types.js';

interface Counters {
  sent: number;
  received: number;
  lastSeen: number | null;
}

/**
 * The cards this node can encrypt to, read through to the home folder's
 * peer store (so `pushmesh peer add` works while the node runs), plus
 * per-peer counters for `GET /peers`.
 */
export class PeerDirectory {
  readonly #store: PeerStore;
  readonly #cards = new Map<NodeId, Card>();
  readonly #counters = new Map<NodeId, Counters>();

  constructor(store: PeerStore) {
    this.#store = store;
  }

  /** Reads every stored card; a card file that fails validation is reported and skipped. */
  async load(onInvalid: (id: NodeId, err: Error) => void): Promise<void> {
    for (const c of await this.#store.list(onInvalid)) this.#cards.set(c.id, c);
  }

  async card(id: NodeId): Promise<Card | undefined> {
    const known = this.#cards.get(id);
    if (known) return known;
    const c = await this.#store.get(id);
    if (c) this.#cards.set(id, c);
    return c;
  }

  cached(id: NodeId): Card | undefined {
    return this.#cards.get(id);
  }

  #c(id: NodeId): Counters {
    let c = this.#counters.get(id);
    if (!c) this.#counters.set(id, (c = { sent: 0, received: 0, lastSeen: null }));
    return c;
  }

  countSent(id: NodeId): void {
    this.#c(id).sent++;
  }

  countReceived(id: NodeId, now: number): void {
    const c = this.#c(id);
    c.received++;
    c.lastSeen = now;
  }

  list(queued: Map<string, number>): PeerInfo[] {
    const ids = new Set<NodeId>([...this.#cards.keys(), ...this.#counters.keys()]);
    return [...ids].sort().map((id) => {
      const c = this.#counters.get(id);
      return {
        id,
        transport: 'https',
        endpoint: this.#cards.get(id)?.endpoint ?? '',
        connected: false,
        since: c?.lastSeen ?? null,
        queued: queued.get(id) ?? 0,
        sent: c?.sent ?? 0,
        received: c?.received ?? 0,
      };
    });
  }
}
