import type { WebpushMessage } from '../../message/types.js';
import type { NackReason } from '../../proto/status.js';
import { flowKey } from '../flow-key.js';

/** Refusals a sender retries (docs/transports.md): a later message of the flow must not get ahead of the refused one. */
const PASSING: ReadonlySet<NackReason> = new Set<NackReason>(['queue_full', 'no_route', 'storage_full']);
/** A hold lifts by itself after this long (or the refused message's TTL, if shorter). */
export const FLOW_HOLD_MAX_MS = 10_000;
/** Flows held at once on one link; the oldest hold goes beyond that. */
const MAX_HOLDS = 10_000;

interface Hold {
  id: string;
  reason: NackReason;
  until: number;
}

/**
 * Ordered flows on one link (docs/transports.md, "Order"): once a message
 * of a flow (origin → destination) is refused for a passing reason
 * (`queue_full`, `no_route`), the flow's later messages on the link are
 * refused with the same reason until that message comes again (the
 * sender retries the oldest first). So a sender may have several
 * messages of a flow in flight without one getting ahead of a refused
 * earlier one.
 */
export class FlowHolds {
  /** Built on the first hold and dropped when the last one goes: most links never hold anything (≈ 150 bytes each idle). */
  #holds: Map<string, Hold> | null = null;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A refusal was decided for `wire`; a passing one holds its flow. */
  refused(wire: WebpushMessage, reason: NackReason): void {
    if (!PASSING.has(reason)) return;
    const key = flowKey(wire);
    const holds = (this.#holds ??= new Map());
    const held = holds.get(key);
    if (held && held.id !== wire.id && this.#now() < held.until) return; // refused because of an earlier hold
    const ttlMs = wire.ttl > 0 ? wire.ttl * 1000 : FLOW_HOLD_MAX_MS;
    holds.delete(key);
    holds.set(key, { id: wire.id, reason, until: this.#now() + Math.min(FLOW_HOLD_MAX_MS, ttlMs) });
    if (holds.size > MAX_HOLDS) holds.delete(holds.keys().next().value!);
  }

  /** Why `wire` must be refused now (its flow is held for another message), or null. */
  peek(wire: WebpushMessage): NackReason | null {
    const holds = this.#holds;
    if (!holds) return null;
    const key = flowKey(wire);
    const held = holds.get(key);
    if (!held) return null;
    if (this.#now() >= held.until) {
      this.#remove(key);
      return null;
    }
    return held.id === wire.id ? null : held.reason;
  }

  /** As `peek`, when `wire` is about to be handled: the message the flow waited for lifts the hold. */
  take(wire: WebpushMessage): NackReason | null {
    const reason = this.peek(wire);
    if (reason === null) {
      if (!this.#holds) return null;
      const key = flowKey(wire);
      if (this.#holds.get(key)?.id === wire.id) this.#remove(key);
    }
    return reason;
  }

  #remove(key: string): void {
    this.#holds!.delete(key);
    if (this.#holds!.size === 0) this.#holds = null;
  }
}
