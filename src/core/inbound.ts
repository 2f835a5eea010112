import type { PushmeshError } from '../errors/index.js';
import type { NodeId } from '../identity/types.js';
import type { Message, WebpushMessage } from '../message/types.js';
import type { NackReason } from '../proto/status.js';

/** The path a message came in by (metrics label, and what the hop may be). */
export type InboundVia = 'link' | 'https' | 'backend';

/** The node the message came from directly, as its transport authenticated it (links only). */
export interface InboundHop {
  id: NodeId;
  /** A configured trust CA signed its certificate. */
  caSigned: boolean;
  /** Who dialed: an outbound hop is one this node's operator chose. */
  direction: 'inbound' | 'outbound';
}

/**
 * One message entering the node, addressed to it, before any check. For
 * HTTPS, `wire.from` is '' (Web Push names no sender; the VAPID key and
 * the sender proof do) and `wire.senderMac` is absent for a plain Web
 * Push sender.
 */
export interface Inbound {
  wire: WebpushMessage;
  via: InboundVia;
  /** The authenticated previous hop, when the transport has one (links). */
  hop?: InboundHop;
  /** VAPID `aud` values this path accepts: the node's own origins and link audience, never built from a request's Host. */
  audiences: readonly string[];
  /** A message without sender proof is taken as a plain Web Push one (HTTPS only); elsewhere it is refused. */
  allowUnverified?: boolean;
  /** Check the token's `exp` as of this time (Unix ms): durable backends hand over messages late. */
  vapidAt?: number;
}

/** What became of an inbound message. */
export type InboxResult =
  | { kind: 'delivered'; id: string; msg: Message }
  | { kind: 'duplicate'; id: string }
  | { kind: 'refused'; reason: NackReason; error: PushmeshError };
