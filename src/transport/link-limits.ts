/**
 * Bounds every link enforces, so that no peer can make a node use
 * unbounded memory or CPU. Numbers other implementations must respect are
 * in docs/transports.md ("Limits").
 */
export interface LinkLimits {
  /** Messages a sender may have unanswered on a link; the receiver refuses more with `queue_full`. */
  window: number;
  /** Messages that may wait to be sent beyond the window: with window + maxQueued pending, one more send() is refused at once with `queue_full`. */
  maxQueued: number;
  /** Messages per frame (DiscoveryRequest / DiscoveryResponse). */
  maxBatch: number;
  /** Serialized resource bytes per frame this side writes (a batch closes when it would pass this). */
  maxBatchBytes: number;
  /** Largest frame accepted from a peer; a larger one ends the link (`too_large`). */
  maxFrameBytes: number;
  /** Largest resource (serialized WebpushMessage) accepted; larger ones are refused with `too_large`. */
  maxResourceBytes: number;
  /** Messages per second accepted from one peer; more are refused with `queue_full`. */
  ratePerSecond: number;
  /** Burst allowed above the rate. */
  rateBurst: number;
  /** Messages refused for load (window or rate) per second after which the peer is cut off as a flood. */
  floodPerSecond: number;
  /** Time for a new link to finish its handshake. */
  handshakeTimeoutMs: number;
  /** Interval of keepalive pings (sent whatever the traffic). */
  keepaliveMs: number;
  /** A ping not answered within this time ends the link (`keepalive_timeout`). */
  keepaliveTimeoutMs: number;
  /**
   * The negotiated extension "answers with messages" (docs/transports.md):
   * a client advertises it, a server honours it. On by default; off gives
   * exactly the base protocol (for tests and A/B benchmarks).
   */
  answersWithMessages: boolean;
}

export const DEFAULT_LINK_LIMITS: Readonly<LinkLimits> = Object.freeze({
  window: 1024,
  maxQueued: 4096,
  maxBatch: 128,
  maxBatchBytes: 512 * 1024,
  maxFrameBytes: 4 * 1024 * 1024,
  maxResourceBytes: 16 * 1024,
  ratePerSecond: 5_000,
  rateBurst: 10_000,
  floodPerSecond: 20_000,
  handshakeTimeoutMs: 10_000,
  keepaliveMs: 20_000,
  keepaliveTimeoutMs: 10_000,
  answersWithMessages: true,
});

export function linkLimits(overrides: Partial<LinkLimits> = {}): LinkLimits {
  return { ...DEFAULT_LINK_LIMITS, ...overrides };
}
