/**
 * The WebSocket subprotocol of pushmesh peer links: binary messages, each
 * one serialized DiscoveryRequest (dialer → listener) or DiscoveryResponse
 * (listener → dialer), exactly as on the gRPC ADS stream. v2: a peer
 * without a TLS client certificate is admitted by the challenge of
 * src/transport/auth/ws-challenge.ts (two text frames before the first
 * binary one), never by a token; v1 (VAPID header admission) is gone.
 */
export const WS_SUBPROTOCOL = 'pushmesh.ads.v2';

/** Path of the peer WebSocket on a node's HTTPS server. */
export const PEER_WS_PATH = '/ws';
