/**
 * pushmesh as a library: the node runtime and the building blocks it is
 * made of. The CLI (`pushmesh`) is a thin layer over these exports.
 */
export * from './errors/index.js';
export * from './identity/index.js';
export * from './webpush/index.js';
export * from './message/index.js';
export * from './config/index.js';
export { PushmeshNode, type NodeAddresses, type NodeStartOptions } from './node/pushmesh-node.js';
export { startNode, nodeConfig } from './node/start-node.js';
export { reloadableLogger, setLogLevel, type LogLevel } from './node/log-level.js';
export type { ReloadOutcome } from './node/reload.js';
export type { Part } from './node/lifecycle.js';
export { LocalBus } from './bus/local-bus.js';
export type { Fabric } from './routing/fabric.js';
export type { BackendAdapter } from './backends/types.js';
export type { ConfigChannel } from './signed-config/channel.js';
export type { Link, Dialer, InboundMessage, SendOutcome } from './transport/types.js';
export type { Transport, TransportOptions, ListenerOptions } from './transport/transport.js';
export { builtinTransports } from './transport/registry.js';
export { memoryTransport } from './transport/memory/memory-transport.js';
export { MemoryNetwork } from './transport/memory/memory-network.js';
export type { NodeCore, SendRequest, PeerInfo } from './core/index.js';
