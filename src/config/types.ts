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
  /** Events buffered per SSE/WebSocket subscriber before it is cut off. */
  subscriberBuffer: number;
  /** Largest TTL accepted from apps, seconds (RFC 8030 leaves it to the service). */
  maxTtl: number;
  /** Delivery attempts in flight at once to one destination (1: strictly in order). */
  deliveryWindow: number;
}

/** Everything `pushmesh run` needs, after merging flags > environment > file > defaults. */
export interface NodeConfig {
  home: string;
  local: HostPort;
  https: HostPort | null;
  grpc: HostPort | null;
  /** Origin put in the card's endpoint, e.g. https://node.example:15443. */
  advertise: string;
  peers: string[];
  /** PEM file of a CA whose certificates are accepted on peer links as well (null: none). */
  trustCa: string | null;
  nats: string[];
  pubsub: string | null;
  /** namespace → node IDs allowed to sign its configuration. */
  trust: Record<string, string[]>;
  /** The local HTTP service other nodes may call over the mesh (`/req/<id>/…`); null: none. */
  service: ServiceConfig | null;
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
