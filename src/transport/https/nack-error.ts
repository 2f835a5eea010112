import { NACK_REASONS, type NackReason } from '../../errors/nack-reason.js';
import type { SendOutcome } from '../types.js';

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
