import type { ErrorCode } from './codes.js';

/**
 * Base class of every error pushmesh throws on purpose. `code` is stable;
 * `cause` carries the underlying error for logs, never for the wire.
 */
export class PushmeshError extends Error {
  static override name = 'PushmeshError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * The one error a failed decryption shows to the outside, whatever the
 * reason (bad header, wrong key, tag mismatch, bad padding). The reason is
 * kept in `detail` for logs and metrics only.
 */
export class DecryptError extends PushmeshError {
  static override name = 'DecryptError';
  /** Internal reason, for logs and metrics labels; never sent to a peer. */
  readonly detail: string;

  constructor(detail: string, options?: ErrorOptions) {
    super('ERR_DECRYPT', 'message could not be decrypted', options);
    this.detail = detail;
  }
}

/** VAPID authorization missing (HTTP 401) or invalid (HTTP 403). */
export class VapidError extends PushmeshError {
  static override name = 'VapidError';
  /** Internal reason (expired, bad signature, wrong aud, …). */
  readonly detail: string;

  constructor(code: 'ERR_VAPID_MISSING' | 'ERR_VAPID_INVALID', detail: string, options?: ErrorOptions) {
    super(code, code === 'ERR_VAPID_MISSING' ? 'VAPID authorization missing' : `VAPID authorization invalid: ${detail}`, options);
    this.detail = detail;
  }
}

export function isPushmeshError(err: unknown): err is PushmeshError {
  return err instanceof PushmeshError;
}
