import { PushmeshError } from '../../errors/index.js';
import type { ErrorCode } from '../../errors/index.js';
import { NACK_REASONS, type NackReason } from '../../proto/status.js';
import type { SendOutcome } from '../types.js';

/** The error code whose HTTP status (push-server.ts) tells a Web Push sender each NACK reason. */
const CODE_OF: Readonly<Record<NackReason, ErrorCode>> = {
  unauthorized: 'ERR_VAPID_MISSING', // 401
  bad_signature: 'ERR_VAPID_INVALID', // 403
  too_large: 'ERR_PAYLOAD_TOO_LARGE', // 413
  no_route: 'ERR_NOT_FOUND', // 404
  queue_full: 'ERR_QUEUE_FULL', // 503
  hop_limit: 'ERR_BAD_MESSAGE', // 400
  bad_message: 'ERR_BAD_MESSAGE', // 400
  storage_full: 'ERR_STORAGE_FULL', // 503 (src/errors/http-status.ts)
};

/** A NACK on HTTPS: an error the push server answers with the right status and `reason` in the JSON body. */
export class NackError extends PushmeshError {
  static override name = 'NackError';
  readonly nackReason: NackReason;

  constructor(reason: NackReason) {
    super(CODE_OF[reason], `refused: ${reason}`);
    this.nackReason = reason;
  }
}

/**
 * What an HTTPS answer means for the sender: 2xx accepted; otherwise the
 * `reason` the receiver put in its JSON error, or the one its status
 * implies. Undefined for answers that say nothing about the message
 * (5xx other than 503, 408): the outcome is unknown.
 */
export function outcomeOfHttp(status: number, reason: string | undefined): SendOutcome | undefined {
  if (status >= 200 && status < 300) return { ok: true };
  if (reason !== undefined && (NACK_REASONS as readonly string[]).includes(reason)) return { ok: false, reason: reason as NackReason };
  switch (status) {
    case 401:
      return { ok: false, reason: 'unauthorized' };
    case 403:
      return { ok: false, reason: 'bad_signature' };
    case 404:
    case 410:
      return { ok: false, reason: 'no_route' };
    case 413:
      return { ok: false, reason: 'too_large' };
    case 429:
    case 503:
      return { ok: false, reason: 'queue_full' };
    case 507:
      return { ok: false, reason: 'storage_full' };
    default:
      return status >= 400 && status < 500 && status !== 408 ? { ok: false, reason: 'bad_message' } : undefined;
  }
}
