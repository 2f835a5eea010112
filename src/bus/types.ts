import type { Message } from '../message/types.js';

/** A message handed to local apps, with its place in this node's delivery order. */
export interface LocalEvent {
  /** Monotonic per node; the SSE `id:` line and the `Last-Event-ID` apps send back. */
  seq: number;
  message: Message;
}

/** Why a subscription ended. */
export type SubscriptionEnd = { reason: 'closed' } | { reason: 'slow consumer'; buffered: number } | { reason: 'node shutting down' };
