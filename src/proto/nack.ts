/**
 * NACK reasons as google.rpc.Status (docs/transports.md "ACK, NACK and
 * reasons"): the code sent with each reason, and the reason for an error.
 * A pure module (no Node built-in, no package): src/proto/status.ts
 * re-exports it and src/browser/ shares it (.dependency-cruiser.cjs
 * BROWSER_SHARED), so both send the same codes for the same errors.
 */
import { PushmeshError } from '../errors/pushmesh-error.js';
import { NACK_REASONS, type NackReason } from '../errors/nack-reason.js';
import type { Status } from './types.js';

export { NACK_REASONS, type NackReason } from '../errors/nack-reason.js';

/** google.rpc.Code sent with each reason. */
export const NACK_CODES: Readonly<Record<NackReason, number>> = Object.freeze({
  unauthorized: 16, // UNAUTHENTICATED
  bad_signature: 7, // PERMISSION_DENIED
  too_large: 3, // INVALID_ARGUMENT: retrying cannot help
  no_route: 5, // NOT_FOUND
  queue_full: 8, // RESOURCE_EXHAUSTED: retried later (as no_route is, by the origin)
  hop_limit: 9, // FAILED_PRECONDITION
  bad_message: 3, // INVALID_ARGUMENT
  storage_full: 8, // RESOURCE_EXHAUSTED: retried later, as queue_full
});

/** The google.rpc.Status of a NACK for `reason`. */
export function nackStatus(reason: NackReason): Status {
  return { code: NACK_CODES[reason], message: reason, details: [] };
}

/** The reason token of a NACK status, or undefined if it is not one of ours. */
export function nackReasonOf(status: Status): NackReason | undefined {
  return (NACK_REASONS as readonly string[]).includes(status.message) ? (status.message as NackReason) : undefined;
}

/**
 * The NACK reason for an error thrown while receiving a message, or
 * undefined for errors that are not the sender's fault (reply with an
 * internal error then, or close the stream).
 */
export function nackReasonForError(err: unknown): NackReason | undefined {
  if (!(err instanceof PushmeshError)) return undefined;
  switch (err.code) {
    case 'ERR_VAPID_MISSING':
    case 'ERR_FORBIDDEN':
      return 'unauthorized';
    case 'ERR_VAPID_INVALID':
    case 'ERR_BAD_SIGNATURE':
      return 'bad_signature';
    case 'ERR_PAYLOAD_TOO_LARGE':
      return 'too_large';
    case 'ERR_NOT_FOUND':
      return 'no_route';
    case 'ERR_QUEUE_FULL':
      return 'queue_full';
    case 'ERR_STORAGE_FULL':
      return 'storage_full';
    case 'ERR_DECRYPT':
      return 'bad_message';
    case 'ERR_BAD_MESSAGE':
      // Validation keeps the precise error as cause (oversize body: ERR_PAYLOAD_TOO_LARGE; no authorization: ERR_VAPID_MISSING).
      return (err.cause instanceof PushmeshError ? nackReasonForError(err.cause) : undefined) ?? 'bad_message';
    default:
      return undefined;
  }
}
