/** What one delivery attempt came to. */
export type DeliveryResult =
  | { kind: 'delivered' }
  /**
   * Try again later. `noRouteToJumpHost`: there was no way to the message's
   * next jump host (`via`): no link or route to it here, or a hop answered
   * `no_route`; the entry yields its place (OutboxDispatcher).
   */
  | { kind: 'retry'; reason: string; noRouteToJumpHost?: true }
  /** Permanent refusal (e.g. 4xx from the destination): dropped, counted with the reason. */
  | { kind: 'rejected'; reason: string };

/**
 * Shared by the attempts to one destination that are in flight together
 * under strict order (OutboxDispatcher `orderedPipeline`): the first
 * attempt records the way it went (`lane`: the link it was written to, or
 * null if none) before its first await; a later attempt that would go
 * another way must not send and answers `retry`. Attempts are started in
 * queue order, so on one link they are written in queue order.
 */
export interface DeliveryPin {
  lane: unknown;
}
