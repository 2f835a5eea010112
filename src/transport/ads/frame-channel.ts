import type { LinkCloseReason } from '../types.js';

/** What a frame channel tells the link on top of it. */
export interface FrameChannelEvents {
  /** One whole frame from the peer (a serialized DiscoveryRequest or DiscoveryResponse). */
  frame(bytes: Uint8Array): void;
  /** The channel can take writes again after write() returned false. */
  drain(): void;
  /** The peer broke the framing (a text WebSocket message, a frame over the size limit): end the link and count it. */
  violation(reason: LinkCloseReason, message: string): void;
  /** The channel ended without this side asking (peer closed, network failed, keepalive timed out). */
  closed(reason: LinkCloseReason, message: string): void;
}

/**
 * A bidirectional stream of whole binary frames: a gRPC call (frames =
 * gRPC messages), a WebSocket (frames = binary messages), or an in-memory
 * pipe. The ADS protocol (ads-link.ts) runs on top of any of them.
 */
export interface FrameChannel {
  /** Starts delivering events (frames received before this are buffered by the channel). */
  start(events: FrameChannelEvents): void;
  /** Writes one frame; false means "buffer full": wait for drain() before writing more. */
  write(frame: Uint8Array): boolean;
  /** Ends after the frames written so far, telling the peer why (gRPC status / WS close code). */
  end(reason: LinkCloseReason, message: string): void;
  /** Ends now, dropping anything unsent. */
  destroy(reason: LinkCloseReason, message: string): void;
  /**
   * Optional: hold writes until uncork(), so the frames of one flush
   * leave in one socket write (one TLS record, one syscall). Returns
   * false when the channel does not cork (then uncork() is not called).
   */
  cork?(): boolean;
  uncork?(): void;
}
