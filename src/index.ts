/**
 * pushmesh as a library: the node runtime and the building blocks it is
 * made of. The CLI (`pushmesh`) is a thin layer over these exports.
 */
export * from './errors/index.js';
export * from './identity/index.js';
export * from './webpush/index.js';
export * from './message/index.js';
export * from './config/index.js';
export { PushmeshNode } from './node/pushmesh-node.js';
export type { NodeCore, SendRequest, PeerInfo } from './node/types.js';
