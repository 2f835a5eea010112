import type { NodeId } from '../identity/types.js';

/**
 * A shared message fabric many relays use to reach each other's attached
 * nodes (issue 6, "scale-out"): NATS JetStream (adapters/nats), or Pub/Sub.
 * No home-made clustering: the fabric is the backend's own durability and
 * fan-out. Messages are serialized `pushmesh.v1.WebpushMessage` bytes,
 * already end-to-end encrypted; the fabric never sees plaintext.
 *
 * - A relay with a link to node N calls `attach(N, deliver)`: from then on
 *   messages for N published by any relay reach `deliver` here (and messages
 *   that waited while N was attached nowhere, within their TTL).
 * - A relay with no route to N calls `forward(N, wire)`.
 */
export interface Fabric {
  readonly name: string;
  /**
   * Hands a message for `dest` to the fabric. Resolves once the backend has
   * it durably (JetStream ack); rejects with a PushmeshError (ERR_BACKEND,
   * ERR_QUEUE_FULL) otherwise.
   */
  forward(dest: NodeId, wire: Uint8Array, opts: { ttlSeconds: number; signal?: AbortSignal }): Promise<void>;
  /**
   * This relay now carries `dest` (a link to it came up). `deliver` is
   * called for each message for `dest`, one at a time, in order; it
   * resolves true once the message is delivered (the link ACKed), false to
   * have it redelivered later (the fabric then backs off). Returns a
   * function that detaches (the link went down): unacknowledged messages
   * stay in the fabric for whichever relay `dest` attaches to next.
   */
  attach(dest: NodeId, deliver: (wire: Uint8Array) => Promise<boolean>): Promise<() => Promise<void>>;
  /** Stops consuming and releases the connection. */
  close(): Promise<void>;
}
