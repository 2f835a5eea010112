import type { Logger } from 'pino';
import type { PeerStore } from '../identity/peer-store.js';
import type { Card, NodeId } from '../identity/types.js';
import type { PeerInfo } from '../core/index.js';
import type { Part } from './lifecycle.js';

interface Counters {
  sent: number;
  received: number;
  lastSeen: number | null;
}

/** How long a card read from the home folder is used before it is read again. */
const RECHECK_MS = 2000;

/**
 * The cards this node can encrypt to, read through to the home folder's
 * peer store (so `pushmesh peer add` and `peer remove` take effect while
 * the node runs, within RECHECK_MS), plus per-peer counters for `GET /peers`.
 * A part of the node ("peer cards"): every stored card is read at start;
 * a card file that fails validation is logged and skipped.
 */
export class PeerDirectory implements Part {
  readonly name = 'peer cards';
  readonly #store: PeerStore;
  readonly #log: Logger | undefined;
  readonly #cards = new Map<NodeId, Card>();
  readonly #checkedAt = new Map<NodeId, number>();
  readonly #counters = new Map<NodeId, Counters>();
  readonly #now: () => number;

  constructor(store: PeerStore, opts: { logger?: Logger; now?: () => number } = {}) {
    this.#store = store;
    this.#log = opts.logger;
    this.#now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    await this.load();
  }

  close(): void {}

  /** A stored card file that fails validation: logged, skipped. */
  readonly #invalid = (id: NodeId, err: Error): void => this.#log?.warn({ peer: id, reason: err.message }, 'ignoring an invalid peer card');

  /** Reads every stored card; a card file that fails validation is reported and skipped. */
  async load(onInvalid: (id: NodeId, err: Error) => void = this.#invalid): Promise<void> {
    const now = this.#now();
    for (const c of await this.#store.list(onInvalid)) {
      this.#cards.set(c.id, c);
      this.#checkedAt.set(c.id, now);
    }
  }

  /** Reads the stored cards again: added ones appear, removed ones go (listing them all). */
  async refresh(onInvalid: (id: NodeId, err: Error) => void = this.#invalid): Promise<void> {
    const stored = await this.#store.list(onInvalid);
    const now = this.#now();
    const ids = new Set(stored.map((c) => c.id));
    for (const id of [...this.#cards.keys()]) {
      if (!ids.has(id)) {
        this.#cards.delete(id);
        this.#checkedAt.delete(id);
      }
    }
    for (const c of stored) {
      this.#cards.set(c.id, c);
      this.#checkedAt.set(c.id, now);
    }
  }

  /** The card of `id`, if known (a stored card that no longer validates counts as unknown). */
  async card(id: NodeId): Promise<Card | undefined> {
    const now = this.#now();
    const checked = this.#checkedAt.get(id);
    if (checked !== undefined && now - checked < RECHECK_MS) return this.#cards.get(id);
    let c: Card | undefined;
    try {
      c = await this.#store.get(id);
    } catch {
      c = undefined;
    }
    this.#checkedAt.set(id, now);
    if (this.#checkedAt.size > 10_000) this.#checkedAt.delete(this.#checkedAt.keys().next().value!);
    if (c) this.#cards.set(id, c);
    else this.#cards.delete(id);
    return c;
  }

  /** The IDs of every card stored now (read from the home: cards added by `pushmesh peer add` while running count). */
  async storedIds(): Promise<NodeId[]> {
    return (await this.#store.list()).map((c) => c.id);
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
