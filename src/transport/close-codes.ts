import type { LinkCloseReason } from './types.js';

/**
 * How each reason a link ends is told to the peer: a gRPC status code
 * (the stream's final status; `details` is "<reason>: <text>") and a
 * WebSocket close code (RFC 6455 §7.4; 4000–4999 are private use; the
 * close reason text is "<reason>: <text>", at most 123 bytes).
 * docs/transports.md has the same table.
 */
export const CLOSE_CODES: Readonly<Record<LinkCloseReason, { grpc: number; ws: number }>> = Object.freeze({
  normal: { grpc: 0, ws: 1000 }, // OK / normal closure
  shutdown: { grpc: 14, ws: 1001 }, // UNAVAILABLE / going away
  unauthenticated: { grpc: 16, ws: 4401 }, // UNAUTHENTICATED (WS: HTTP 401 before the upgrade, or 4401 for a bad challenge proof)
  forbidden: { grpc: 7, ws: 4403 }, // PERMISSION_DENIED (WS: HTTP 403 before the upgrade, 4403 for a challenge-proved peer the lists refuse, or when revoked later)
  protocol_error: { grpc: 3, ws: 1002 }, // INVALID_ARGUMENT / protocol error
  too_large: { grpc: 8, ws: 1009 }, // RESOURCE_EXHAUSTED / message too big
  flood: { grpc: 8, ws: 4429 }, // RESOURCE_EXHAUSTED / private "too many"
  handshake_timeout: { grpc: 4, ws: 4408 }, // DEADLINE_EXCEEDED / private "timeout"
  keepalive_timeout: { grpc: 14, ws: 4408 }, // UNAVAILABLE; usually nothing reaches the peer
  transport_error: { grpc: 14, ws: 1011 }, // UNAVAILABLE / internal error
});

const BY_WS = new Map<number, LinkCloseReason>([
  [1000, 'normal'],
  [1001, 'shutdown'],
  [1002, 'protocol_error'],
  [1003, 'protocol_error'],
  [1007, 'protocol_error'],
  [1008, 'forbidden'],
  [1009, 'too_large'],
  [4401, 'unauthenticated'],
  [4403, 'forbidden'],
  [4408, 'handshake_timeout'],
  [4429, 'flood'],
]);

const BY_GRPC = new Map<number, LinkCloseReason>([
  [0, 'normal'],
  [1, 'normal'], // CANCELLED: the client went away
  [3, 'protocol_error'],
  [4, 'handshake_timeout'],
  [7, 'forbidden'],
  [8, 'too_large'],
  [14, 'transport_error'], // UNAVAILABLE without our reason token: the connection dropped (keepalive, network)
  [16, 'unauthenticated'],
]);

const REASONS = new Set<string>(Object.keys(CLOSE_CODES));

/** The reason a peer gave: the token before ":" in the text when it is one of ours, else from the code. */
export function closeReasonFrom(kind: 'grpc' | 'ws', code: number, text: string): LinkCloseReason {
  const token = text.split(':', 1)[0]?.trim() ?? '';
  if (REASONS.has(token)) return token as LinkCloseReason;
  return (kind === 'ws' ? BY_WS.get(code) : BY_GRPC.get(code)) ?? 'transport_error';
}

/** "<reason>: <text>", cut to fit a WebSocket close frame (123 bytes). */
export function closeText(reason: LinkCloseReason, message: string, maxBytes = 123): string {
  let text = message ? `${reason}: ${message}` : reason;
  while (Buffer.byteLength(text) > maxBytes) text = text.slice(0, -1);
  return text;
}
