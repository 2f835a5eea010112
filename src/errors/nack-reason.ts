/**
 * Why a node refuses messages, as put in `google.rpc.Status.message` of an
 * xDS NACK (`DiscoveryRequest.error_detail`) or of a per-message status.
 * The token is the whole message: no free text follows it.
 */
export const NACK_REASONS = [
  'unauthorized', // no VAPID authorization, or the proved sender is refused by the access lists
  'bad_signature', // VAPID present but invalid (signature, aud, exp, from ≠ key), or the sender MAC missing or wrong
  'too_large', // body over 4096 bytes
  'no_route', // no card, route or upstream for `to`
  'queue_full', // the destination's queue is full: retry later
  'hop_limit', // hop_limit reached 0, or a loop in `path`
  'bad_message', // not a valid WebpushMessage (or the destination cannot decrypt it)
  'storage_full', // the receiver cannot write its store (disk full, I/O error): retry later
] as const;
export type NackReason = (typeof NACK_REASONS)[number];
