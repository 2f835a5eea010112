/**
 * The transport contract: what a peer link is, whatever carries it (the
 * ADS gRPC stream, a WebSocket, HTTPS Web Push, or memory). Types only;
 * the wire protocol is in docs/transports.md.
 */
import type { Card, NodeId } from '../identity/types.js';
import type { WebpushMessage } from '../message/types.js';
import type { NackReason } from '../proto/status.js';
import type { TransportKind } from '../core/transport-kind.js';

export type { NackReason } from '../proto/status.js';

/** What carries a link: the name of the transport plug-in that made it (src/transport/transport.ts; the type is in core/). */
export type { TransportKind } from '../core/transport-kind.js';

/** Why a peer's input was refused or the peer cut off; counted per kind (metrics). */
export type MisbehaviorKind =
  | 'garbage_frame'
  | 'protocol_error'
  | 'wrong_type_url'
  | 'bad_resource'
  | 'too_large'
  | 'window_exceeded'
  | 'rate_limited'
  | 'flood'
  | 'bad_card';

/** Who is at the other end of a link. The ID always comes from a key the peer proved. */
export interface PeerIdentity {
  readonly id: NodeId;
  /**
   * How the key was proved: a TLS certificate (mTLS), a per-connection
   * challenge signed with the node key (WebSocket peers without a client
   * certificate, src/transport/auth/ws-challenge.ts), or in-process
   * (memory links). Never a token.
   */
  readonly proof: 'tls' | 'challenge' | 'memory';
  /** Whether a configured trust CA signed the peer's certificate. */
  readonly caSigned?: boolean;
  /** The peer's address (`host:port`), when the transport knows it. */
  readonly address?: string;
}

/** What the next hop did with a message: accepted it, or refused it with a reason. */
export type SendOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: NackReason };

export interface SendOptions {
  /** Gives up waiting (queued: the message is withdrawn; in flight: the outcome stays unknown). */
  signal?: AbortSignal;
}

/** A message that arrived on a link. Answer it exactly once: the sender waits for it. */
export interface InboundMessage {
  /** The decoded, validated message (bounds checked; VAPID not yet verified). */
  readonly wire: WebpushMessage;
  /** Its serialized form as received, to forward without encoding again. */
  readonly bytes: Uint8Array;
  /** The link it came on. */
  readonly link: Link;
  /** Accepted: verified and delivered, or queued for its destination. */
  ack(): void;
  /** Refused, with the reason the sender sees. */
  nack(reason: NackReason): void;
  /**
   * Asked right before handling: the reason to refuse this message
   * without handling it, because an earlier message of its flow (origin →
   * destination) on this link was refused for a passing reason and has
   * not come again (ordered flows, docs/transports.md); null to handle it.
   * Links that carry one message per exchange (HTTPS) have none.
   */
  heldBack?(): NackReason | null;
}

/** Counters of one link, for GET /peers and metrics. */
export interface LinkStats {
  /** Messages handed to send() and written to the peer. */
  sent: number;
  /** …of which the peer accepted / refused. */
  acked: number;
  nacked: number;
  /** Messages that arrived from the peer (valid or not). */
  received: number;
  /** …of which this side refused (bad, too large, over the window or rate). */
  refused: number;
  /** Sent and not answered yet. */
  inFlight: number;
  /** Waiting in the send queue. */
  queued: number;
  bytesIn: number;
  bytesOut: number;
  /** Unix ms of the last frame from the peer, or null. */
  lastReceivedAt: number | null;
}

/**
 * Why a link ended. `normal`: close() or a finished drain on either side;
 * the others name what went wrong (docs/transports.md maps each to a gRPC
 * status and a WebSocket close code).
 */
export type LinkCloseReason =
  | 'normal'
  | 'shutdown'
  | 'unauthenticated'
  | 'forbidden'
  | 'protocol_error'
  | 'too_large'
  | 'flood'
  | 'handshake_timeout'
  | 'keepalive_timeout'
  | 'transport_error';

export interface LinkClosed {
  readonly reason: LinkCloseReason;
  /** Short human-readable detail (safe to log; never secrets). */
  readonly message: string;
  /** True when the peer (or the network) ended the link, false when this side did. */
  readonly remote: boolean;
}

/** A connection to one peer, carrying messages both ways. */
export interface Link {
  readonly transport: TransportKind;
  /** `outbound`: this node dialed it; `inbound`: the peer did. */
  readonly direction: 'inbound' | 'outbound';
  readonly peer: PeerIdentity;
  /** The peer's card, if the handshake carried one (then it is checked against the peer's key). */
  readonly peerCard: Card | undefined;
  /** Unix ms when the link came up. */
  readonly since: number;
  /**
   * Sends one serialized `pushmesh.v1.WebpushMessage`. Resolves with the
   * peer's answer. A full send queue resolves `{ok:false, reason:'queue_full'}`
   * at once. Rejects with ERR_LINK_CLOSED when the link closes before the
   * answer (outcome unknown: send again elsewhere), or with the signal's
   * reason when aborted.
   */
  send(wire: Uint8Array, options?: SendOptions): Promise<SendOutcome>;
  /** Messages from the peer, in order. One consumer; ends when the link closes. */
  readonly incoming: AsyncIterable<InboundMessage>;
  stats(): LinkStats;
  /**
   * Finishes what is in flight (queued sends are written and answered,
   * received messages answered), refuses new sends, then closes normally.
   * An abort of `signal` closes at once.
   */
  drain(options?: { signal?: AbortSignal }): Promise<void>;
  /** Stops now: pending sends reject with ERR_LINK_CLOSED, unanswered inbound messages are dropped (the peer sends them again). */
  close(reason?: LinkCloseReason, message?: string): void;
  /** Resolves once, when the link has ended, with why. */
  readonly closed: Promise<LinkClosed>;
}

/** Where to dial: a peer URL, parsed (see src/links/peer-url.ts). */
export interface PeerTarget {
  readonly transport: TransportKind;
  /** The host (IPv6 without brackets), or the name of an in-process address (memory). */
  readonly host: string;
  /** 0 for a transport without ports (memory). */
  readonly port: number;
  /** The node ID the peer must prove, when the URL named one. */
  readonly expectedId?: NodeId;
  /** The URL as given, for logs. */
  readonly url: string;
}

/** Opens outbound links of one transport. */
export interface Dialer {
  readonly transport: TransportKind;
  /** Connects, authenticates both sides, runs the handshake; rejects with a PushmeshError saying why not. */
  dial(target: PeerTarget, options?: { signal?: AbortSignal }): Promise<Link>;
  /** Releases shared resources (channels, agents). */
  close(): void;
}

/** Accepts inbound links of one transport and hands each one, authenticated and handshaken, to `onLink`. */
export interface Listener {
  readonly transport: TransportKind;
  /** Address actually bound, when the listener owns a socket. */
  readonly address: { host: string; port: number } | null;
  /** Stops accepting; `drain` also drains live links, otherwise they are closed. */
  close(options?: { drain?: boolean }): Promise<void>;
}

/** Receives inbound links from listeners. */
export type LinkHandler = (link: Link) => void;
