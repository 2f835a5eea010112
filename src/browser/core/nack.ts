/** NACK reasons of the link (docs/transports.md "ACK, NACK and reasons"), as src/proto/status.ts. */
import { isPushmeshError } from './errors.js';
import type { Status } from './proto/messages.js';

export const NACK_REASONS = ['unauthorized', 'bad_signature', 'too_large', 'no_route', 'queue_full', 'hop_limit', 'bad_message', 'storage_full'] as const;
export type NackReason = (typeof NACK_REASONS)[number];

export const NACK_CODES: Readonly<Record<NackReason, number>> = Object.freeze({
  unauthorized: 16,
  bad_signature: 7,
  too_large: 3,
  no_route: 5,
  queue_full: 8,
  hop_limit: 9,
  bad_message: 3,
  storage_full: 8,
});

export function nackStatus(reason: NackReason): Status {
  return { code: NACK_CODES[reason], message: reason, details: [] };
}

export function nackReasonOf(status: Status): NackReason | undefined {
  return (NACK_REASONS as readonly string[]).includes(status.message) ? (status.message as NackReason) : undefined;
}

/** The NACK reason for an error thrown while receiving a message, or undefined when it is not the sender's fault. */
export function nackReasonForError(err: unknown): NackReason | undefined {
  if (!isPushmeshError(err)) return undefined;
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
      return (isPushmeshError(err.cause) ? nackReasonForError(err.cause) : undefined) ?? 'bad_message';
    default:
      return undefined;
  }
}
