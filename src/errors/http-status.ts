import type { ErrorCode } from './codes.js';

/**
 * The HTTP status of each error code, in one place for both HTTP surfaces:
 * the local API (apps on this machine) and `POST /push` (Web Push senders
 * and other nodes). They differ in two answers only: a full store is
 * `507 Insufficient Storage` for apps, `503` for Web Push senders (which
 * retry 5xx, RFC 8030 §7.2, and know nothing of 507); and an unknown code
 * is `500` on the local API, `400` on `/push` (the push was not usable).
 */
const COMMON: Partial<Record<ErrorCode, number>> = {
  ERR_BAD_ARGUMENT: 400,
  ERR_BAD_MESSAGE: 400,
  ERR_BAD_EVENT: 400,
  ERR_BAD_CARD: 400,
  ERR_FORBIDDEN: 403,
  ERR_NOT_FOUND: 404,
  ERR_PAYLOAD_TOO_LARGE: 413,
  ERR_UNSUPPORTED: 415,
  ERR_QUEUE_FULL: 503,
  ERR_UNAVAILABLE: 503,
  ERR_TIMEOUT: 504,
  ERR_STORAGE_FULL: 507,
};

const PUSH: Partial<Record<ErrorCode, number>> = {
  ERR_VAPID_MISSING: 401,
  ERR_VAPID_INVALID: 403,
  ERR_BAD_SIGNATURE: 403,
  ERR_FORBIDDEN: 403,
  ERR_NOT_FOUND: 404,
  ERR_PAYLOAD_TOO_LARGE: 413,
  ERR_QUEUE_FULL: 503,
  ERR_UNAVAILABLE: 503,
  ERR_STORAGE_FULL: 503,
};

export type HttpSurface = 'local' | 'push';

/** HTTP status for `code` on `surface`. */
export function httpStatusOf(code: ErrorCode, surface: HttpSurface): number {
  if (surface === 'push') return PUSH[code] ?? 400;
  return COMMON[code] ?? 500;
}

/**
 * Refusals the node answers on purpose when it cannot take more work now:
 * counted and logged at most once per interval (RefusalLog), never as an
 * error with a stack. `Retry-After` seconds to send with them.
 */
const RETRY_AFTER: Partial<Record<ErrorCode, number>> = {
  ERR_QUEUE_FULL: 1,
  ERR_STORAGE_FULL: 5,
  ERR_UNAVAILABLE: 1,
};

/** Whether `code` is a refusal for lack of room or of a running node (not a fault of the node's code). */
export function isCapacityRefusal(code: ErrorCode): boolean {
  return RETRY_AFTER[code] !== undefined;
}

/** `Retry-After` (seconds) for a capacity refusal, else undefined. */
export function retryAfterOf(code: ErrorCode): number | undefined {
  return RETRY_AFTER[code];
}
