/**
 * The WebSocket subprotocol of pushmesh peer links: binary messages, each
 * one serialized DiscoveryRequest (dialer → listener) or DiscoveryResponse
 * (listener → dialer), exactly as on the gRPC ADS stream.
 */
export const WS_SUBPROTOCOL = 'pushmesh.ads.v1';

/** Path of the peer WebSocket on a node's HTTPS server. */
export const PEER_WS_PATH = '/ws';
