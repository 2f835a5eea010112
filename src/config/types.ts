import type { BackendsConfig } from './backends.js';

/** A listen address; `null` in NodeConfig means the listener is switched off. */
export interface HostPort {
  host: string;
  port: number;
}

/** Limits that keep memory and disk bounded whatever peers and apps do. */
export interface NodeLimits {
  /** Largest local API request body, bytes. */
  maxRequestBody: number;
  /** Messages waiting for delivery to other nodes (all destinations). */
  maxQueuedMessages: number;
  /** Bytes of those messages (their wire form: encrypted body, token, routing fields), all destinations. */
  maxQueuedBytes: number;
  /**
   * Seconds a message with jump hosts (`via`) may meet `no_route` on end
   * before it is rejected; it does not hold up later messages meanwhile
   * (docs/node.md "No head-of-line stall"). Default 300.
   */
  jumpHostWait?: number;
  /** Events buffered per SSE/WebSocket subscriber before it is cut off. */
  subscriberBuffer: number;
  /** Largest TTL accepted from apps, seconds (RFC 8030 leaves it to the service). */
  maxTtl: number;
  /** Delivery attempts in flight at once to one destination (1: strictly in order). */
  deliveryWindow: number;
  /** Messages held for the apps (on disk, replayed with since= / Last-Event-ID, also after a restart), in all. */
  heldMessages: number;
  /** Bytes held for the apps, in all. */
  heldBytes: number;
  /** Messages held for the apps per topic. */
  heldPerTopic: number;
  /** Replay protection: (sender, message ID) pairs remembered in all (docs/security.md "Replay protection"). */
  replayEntries: number;
  /** Replay protection: pairs remembered per sender; over it, that sender's oldest are forgotten and older messages refused. */
  replayEntriesPerSender: number;
}

/** What a node learns from the routes linked peers announce (docs/routing.md "Limits"). */
export interface RoutingConfig {
  /** Routes to other nodes kept from one peer trusted for transit (on peers.allow, CA-signed, or in `transitPeers`). */
  maxRoutesPerPeer: number;
  /** Routes to other nodes kept from any other linked peer (0: only its own attachment). */
  maxRoutesPerUnlistedPeer: number;
  /** Routes kept from all peers together. */
  maxRoutes: number;
  /** Announcement messages (parts) taken from one peer per minute on average; a whole full announcement at its cap may come at once. */
  announcementsPerMinute: number;
  /** Node IDs trusted for transit besides peers.allow and the trust CA. */
  transitPeers: string[];
}

/** Everything `pushmesh run` needs, after merging flags > environment > file > defaults. */
export interface NodeConfig {
  home: string;
  local: HostPort;
  https: HostPort | null;
  /**
   * TLS session tickets on the HTTPS server (Web Push, peer WebSockets).
   * Off by default: each idle connection costs ≈ 13 KiB less without them
   * (docs/benchmarks.md); turn on for Web Push senders that reconnect for
   * every push, so they can resume instead of a full handshake.
   */
  httpsSessionTickets: boolean;
  /**
   * Serve the browser demo page and the pushmesh/browser bundle on the
   * HTTPS server under /browser/ (docs/browser.md). Off by default.
   */
  browserDemo?: boolean;
  grpc: HostPort | null;
  /** Origin put in the card's endpoint, e.g. https://node.example:15443. */
  advertise: string;
  peers: string[];
  /** PEM file of a CA whose certificates are accepted on peer links as well (null: none). */
  trustCa: string | null;
  /**
   * PEM file of the node's certificate, issued for its key by a CA, used
   * instead of the home folder's `cert.pem`: checked at start, never
   * written (null: `cert.pem`). docs/identity.md "Certificates from a CA".
   */
  certFile?: string | null;
  /**
   * The `sub` claim of the VAPID tokens the node signs: a `mailto:` or
   * `https:` contact (RFC 8292 §2.1); null: `https://pushmesh.invalid/node/<id>`.
   */
  vapidSubject?: string | null;
  nats: string[];
  pubsub: string | null;
  /** namespace → node IDs allowed to sign its configuration. */
  trust: Record<string, string[]>;
  /** The local HTTP service other nodes may call over the mesh (`/req/<id>/…`); null: none. */
  service: ServiceConfig | null;
  /** Limits on learned routes, and peers trusted for transit (docs/routing.md "Limits"). */
  routing: RoutingConfig;
  /**
   * Media types (`image/png`, lowercase, no parameters) a `/req` answer may
   * be served inline, without `Content-Disposition: attachment`, when the
   * caller asks (`X-Pushmesh-Disposition: inline`). Default: none.
   */
  reqInlineTypes: string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  limits: NodeLimits;
  /** Bridge rules and backend settings (docs/backends.md). */
  backends: BackendsConfig;
  /** The xDS server (docs/xds.md); null or absent: off. */
  xds?: XdsConfig | null;
  /**
   * Start even when the store looks damaged or emptied (docs/node.md
   * "A damaged store"): the damaged files are moved aside and an empty
   * store is started (or, for a missing WAL, the database file as it is).
   * Only from `--accept-store-loss` or `PUSHMESH_ACCEPT_STORE_LOSS=1`, for
   * one start; never from the config file.
   */
  acceptStoreLoss?: boolean;
}

/** A local HTTP service exposed to allow-listed nodes over the mesh (docs/request-response.md). */
export interface ServiceConfig {
  /** Base URL, http(s)://HOST:PORT[/prefix]. */
  target: string;
  /** Node IDs allowed to call it. */
  allow: string[];
  /** How long the service may take to answer, ms. */
  timeoutMs: number;
}

/** The xDS server (docs/xds.md): where it listens and whose configs it serves. */
export interface XdsConfig {
  listen: HostPort;
  /** Namespace of the signed configs it serves (default `xds`). */
  namespace: string;
  /** TLS (mTLS with a client CA) on the xDS server; null: plaintext (loopback only). */
  tls?: XdsTlsConfig | null;
}

/** The xDS server's TLS files (docs/xds.md "TLS"), read at its start. */
export interface XdsTlsConfig {
  /** PEM certificate (chain) presented to clients. */
  certFile: string;
  /** PEM private key of certFile. */
  keyFile: string;
  /** PEM CA certificates a client certificate must chain to (mTLS); null: no client certificate asked. */
  clientCaFile: string | null;
  /** Whether certFile/keyFile are the node's own (not named under xds.tls). */
  ownCertificate: boolean;
}
