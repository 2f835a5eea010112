import type { Card, Identity, NodeId } from '../identity/types.js';
import type { LocalBus } from '../bus/local-bus.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';
import type { DeliveryStatus } from './delivery-status.js';
import type { Inbound, InboxResult } from './inbound.js';
import type { PeerInfo } from './peer-info.js';
import type { RouteEntry } from './route-entry.js';
import type { RpcRequest, RpcResponse } from './rpc-exchange.js';
import type { SendRequest, SendResult } from './send.js';

/**
 * The node as the local API and the HTTPS receiver see it: the few
 * operations they need, so each can be tested against a small fake or
 * the real node alike.
 */
export interface NodeCore {
  readonly identity: Identity;
  readonly bus: LocalBus;
  readonly metrics: NodeMetrics;
  card(): Card;
  send(req: SendRequest): Promise<SendResult>;
  /** An HTTP request to the service another node exposes over the mesh (`/req/<id>/…`). */
  request(to: NodeId, req: RpcRequest, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<RpcResponse>;
  /** Where a message this node sent stands (`GET /msg/status/<id>`). */
  deliveryStatus(id: string): DeliveryStatus | undefined;
  /** The `limit` most recently changed delivery statuses, newest first (`GET /msg/status?recent=N`). */
  recentStatuses?(limit: number): DeliveryStatus[];
  peers(): PeerInfo[];
  /** The route table (`GET /routes`); a node without routing has none. */
  routes?(): RouteEntry[];
  queueDepth(): number;
  /** Liveness and readiness details for /healthz. */
  health(): { ok: boolean; [k: string]: unknown };
  /** Reads the stored peer cards again (`pushmesh peer add/remove` while running), so peers() lists them all. */
  refreshPeers(): Promise<void>;
  /**
   * The node ID `address` names: a full node ID as it is, or the VIP6 address
   * (fd00::/64 + the last 8 bytes of the key) of this node or of a node whose
   * card is known. ERR_NOT_FOUND when no known key has it, ERR_BAD_ARGUMENT
   * when two do or when it is malformed.
   */
  resolveNode(address: string): Promise<NodeId>;
  /** The node's one inbound path (Inbox): every message for this node from outside goes through it. */
  receive(inbound: Inbound): Promise<InboxResult>;
}
