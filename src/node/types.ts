import type { Inbound, InboxResult } from '../inbox/types.js';
import type { RouteEntry } from '../routing/types.js';
import type { Card, Identity, NodeId } from '../identity/types.js';
import type { LocalBus } from '../local/local-bus.js';
import type { Payload, Urgency } from '../message/types.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';
import type { RpcRequest, RpcResponse } from '../rpc/types.js';
import type { DeliveryStatus } from '../status/types.js';

/** What an app asks for with `POST /msg/<topic>`. */
export interface SendRequest {
  topic: string;
  to: NodeId | '';
  data: Payload;
  ttl: number;
  urgency: Urgency;
  replace?: string;
  meta?: Record<string, string>;
  via?: NodeId[];
  receipt?: boolean;
}

export interface SendResult {
  id: string;
  /** `local` when delivered to local subscribers, `queued` when on its way to another node. */
  status: 'local' | 'queued';
}

/** A connected or known peer, as `GET /peers` lists it. */
export interface PeerInfo {
  id: NodeId;
  transport: 'https' | 'grpc' | 'wss' | 'memory';
  endpoint: string;
  connected: boolean;
  since: number | null;
  queued: number;
  sent: number;
  received: number;
  /** Links only: who dialed, the address seen, and link counters. */
  direction?: 'inbound' | 'outbound';
  address?: string;
  nacked?: number;
  refused?: number;
  inFlight?: number;
}

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
  peers(): PeerInfo[];
  /** The route table (`GET /routes`); a node without routing has none. */
  routes?(): RouteEntry[];
  queueDepth(): number;
  /** Liveness and readiness details for /healthz. */
  health(): { ok: boolean; [k: string]: unknown };
  /** Reads the stored peer cards again (`pushmesh peer add/remove` while running), so peers() lists them all. */
  refreshPeers(): Promise<void>;
  /** The node's one inbound path (Inbox): every message for this node from outside goes through it. */
  receive(inbound: Inbound): Promise<InboxResult>;
}
