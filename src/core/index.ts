export type { DeliveryPin, DeliveryResult } from './delivery.js';
export type { DeliveryState, DeliveryStatus } from './delivery-status.js';
export type { Inbound, InboundHop, InboundVia, InboxResult } from './inbound.js';
export type { MeshPort } from './mesh-port.js';
export type { NodeCore } from './node-core.js';
export type { PeerInfo } from './peer-info.js';
export type { RouteEntry } from './route-entry.js';
export type { RpcRequest, RpcResponse } from './rpc-exchange.js';
export type { SendRequest, SendResult } from './send.js';
