/**
 * The transport plug-in contract: what a node is given for each way of
 * carrying links (gRPC ADS, WebSocket, HTTPS Web Push, memory). The link
 * manager only ever calls these; it imports no concrete transport. Types
 * only; docs/transports.md "Adding a transport".
 */
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Card, NodeId } from '../identity/types.js';
import type { MessageSigner } from '../message/seal.js';
import type { PeerAuthenticator } from './auth/peer-authenticator.js';
import type { LinkLimits } from './link-limits.js';
import type { Dialer, Link, LinkHandler, Listener, MisbehaviorKind, TransportKind } from './types.js';

/** What every dialer and listener of a node is given, whatever the transport. */
export interface TransportOptions {
  /** Authenticates and authorizes peers (the node's TLS key, trust CAs, access lists). */
  auth: PeerAuthenticator;
  /** This node: ID, card (read when a handshake needs it), version. */
  self: { id: NodeId; card: () => Card | undefined; version: string };
  limits: LinkLimits;
  logger: Logger;
  /** Told about every refused input and every cut-off peer (metrics). */
  onMisbehavior?: (kind: MisbehaviorKind, link: Link) => void;
}

/** What a listener is given besides the common options. */
export interface ListenerOptions extends TransportOptions {
  /** An inbound link, authenticated and handshaken. */
  onLink: LinkHandler;
  /** A peer refused before its link started (no certificate, wrong key, policy). */
  onRefused?: (reason: 'unauthenticated' | 'forbidden', detail: string) => void;
}

/**
 * Where a transport takes inbound links:
 * - `socket`: a host and port of its own (gRPC: `--grpc`);
 * - `https-server`: the node's HTTPS server, by an upgrade (WebSocket `/ws`);
 * - `in-process`: a place the transport was made with (memory: an address on an in-process network).
 */
export type ListenPlace =
  | { readonly on: 'socket'; readonly host: string; readonly port: number }
  | { readonly on: 'https-server'; readonly server: Server }
  | { readonly on: 'in-process' };

/** Host and port of a peer URL, or why the URL is not one this transport dials. */
export type PeerAddress = { readonly host: string; readonly port: number } | { readonly error: string };

/** What a pusher is given: who signs this node's messages for an endpoint's origin. */
export interface PusherOptions {
  self: { id: NodeId };
  signer: MessageSigner;
  limits: LinkLimits;
  logger: Logger;
}

/**
 * Sends to a card's Web Push endpoint: each message one exchange (an
 * HTTPS POST), answered by its status. Links from one pusher share its
 * connections.
 */
export interface Pusher {
  /** A link that pushes every message to `card.endpoint` (no session: it never sees the peer go). */
  link(card: Card): Link;
  /** Releases shared connections. */
  close(): void;
}

/**
 * One transport, as a node is given it (src/transport/registry.ts lists
 * the built-in ones). It may dial peer URLs of its schemes, listen at one
 * kind of place, and push to card endpoints of its push schemes; any of
 * these, at least one.
 */
export interface Transport {
  /** Unique among a node's transports; every link it makes says it (`Link.transport`). */
  readonly name: TransportKind;
  /** Schemes of the peer URLs (`--peer`) it dials, with the colon (`grpcs:`); none if it is not dialed. */
  readonly schemes: readonly string[];
  /**
   * Checks what is particular to its URLs (port, path) and gives the
   * address to dial. The ID (`user@`), no password, no query are checked
   * before, for every transport (src/links/peer-url.ts).
   */
  address?(url: URL): PeerAddress;
  /** Its dialer, made once per node. */
  dialer?(options: TransportOptions): Dialer;
  /** The kind of place it listens at, if it listens. */
  readonly listensOn?: ListenPlace['on'];
  /** Starts listening at `place` (of the kind `listensOn`); rejects with ERR_LISTEN when it cannot. */
  listen?(place: ListenPlace, options: ListenerOptions): Promise<Listener>;
  /** Schemes of the card endpoints it pushes to (`https:`). */
  readonly pushSchemes?: readonly string[];
  /** Its pusher, made once per node. */
  pusher?(options: PusherOptions): Pusher;
}
