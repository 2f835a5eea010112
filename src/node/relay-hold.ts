import type { NodeId } from '../identity/types.js';
import type { WebpushMessage } from '../message/types.js';
import type { OutboxDispatcher } from '../outbox/dispatcher.js';
import type { OutboxStore } from '../outbox/outbox-store.js';
import { encodeWebpushMessage } from '../proto/index.js';

/**
 * Store-and-forward at a relay: a relayed message whose next hop is away
 * now (or that has earlier ones waiting for it) waits here, in the
 * outbox on disk, until that node is back — within its TTL and its VAPID
 * token's life (docs/routing.md).
 */
export class RelayHold {
  readonly #outbox: OutboxStore;
  readonly #dispatcher: OutboxDispatcher;

  constructor(outbox: OutboxStore, dispatcher: OutboxDispatcher) {
    this.#outbox = outbox;
    this.#dispatcher = dispatcher;
  }

  /** Resolves once the message is on disk (committed with the other writes of its turn): the previous hop gets its ACK then. */
  async hold(target: NodeId, wire: WebpushMessage, notAfter: number): Promise<void> {
    const now = Date.now();
    await this.#outbox.accept(
      {
        id: wire.id,
        dest: target,
        // Replace keys are the origin's: one origin cannot replace another's messages.
        replace: wire.replace === '' ? null : `${wire.from}/${wire.replace}`,
        urgency: wire.urgency,
        expiresAt: Math.min(notAfter, now + (wire.ttl === 0 ? 10_000 : wire.ttl * 1000)),
        wire: encodeWebpushMessage(wire),
      },
      now,
    );
    this.#dispatcher.kick();
  }
}
