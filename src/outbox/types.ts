import type { NodeId } from '../identity/types.js';
import type { Urgency } from '../message/types.js';

/** A message waiting to go to another node, as the outbox keeps it. */
export interface OutboxEntry {
  /** Store sequence number: the delivery order within a destination. */
  seq: number;
  id: string;
  dest: NodeId;
  /** RFC 8030 Topic: a newer entry with the same key replaces this one. */
  replace: string | null;
  urgency: Urgency;
  /** Unix ms after which the entry is dropped as expired. */
  expiresAt: number;
  attempts: number;
  nextAttemptAt: number;
  /** The encoded wire message (opaque to the outbox). */
  wire: Buffer;
}

export type NewOutboxEntry = Omit<OutboxEntry, 'seq' | 'attempts' | 'nextAttemptAt'>;
