import type { NodeId } from '../identity/types.js';

/**
 * Where a message this node sent stands:
 * - `queued`: waiting at this node (destination unreachable so far);
 * - `sent`: the next hop (or the destination) accepted it;
 * - `delivered`: the destination's node says an app there has it (receipt);
 * - `expired`: its TTL ran out before a hop accepted it;
 * - `rejected`: a hop refused it for good; `reason` says why (`no route`,
 *   `hop limit`, `unauthorized`, `queue full`, an HTTP status, …);
 * - `replaced`: a newer message with the same Topic (RFC 8030 `replace`)
 *   took its place while it waited at this node.
 */
export type DeliveryState = 'queued' | 'sent' | 'delivered' | 'expired' | 'rejected' | 'replaced';

export interface DeliveryStatus {
  id: string;
  to: NodeId;
  state: DeliveryState;
  reason?: string;
  /** The sender asked for a receipt. */
  receipt: boolean;
  /** Unix ms of the last change. */
  updated: number;
}
