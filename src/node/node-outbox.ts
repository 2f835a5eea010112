import type { NodeConfig } from '../config/index.js';
import { OutboxDispatcher } from '../outbox/dispatcher.js';
import { DeliveryBook, type DeliveryBookOptions } from './delivery-book.js';
import type { NodeStore } from './node-store.js';

/** Strict order (deliveryWindow 1): attempts in flight to a healthy destination over one link (OutboxDispatcher). */
const ORDERED_PIPELINE = 256;

/**
 * The node's delivery of what it queued (docs/node.md "The outbox"): the
 * outbox dispatcher makes the attempts, within the `limits` of the
 * config; each attempt and what comes of it go through the delivery book.
 */
export function nodeOutbox(config: NodeConfig, store: NodeStore, bookOptions: Omit<DeliveryBookOptions, 'status'>): { book: DeliveryBook; dispatcher: OutboxDispatcher } {
  const book = new DeliveryBook({ ...bookOptions, status: store.status });
  const dispatcher = new OutboxDispatcher({
    store: store.outbox,
    deliver: (e, s, pin) => book.attempt(e, s, pin),
    logger: bookOptions.logger.child({ component: 'outbox' }),
    perDestination: config.limits.deliveryWindow,
    orderedPipeline: ORDERED_PIPELINE,
    jumpHostNoRouteMs: (config.limits.jumpHostWait ?? 300) * 1000,
  });
  book.watch(dispatcher);
  return { book, dispatcher };
}
