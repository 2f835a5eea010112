import type { ErrorCode } from '../../errors/codes.js';

export type { ErrorCode };

/**
 * The browser build's error: the same stable `code`s as the node's
 * PushmeshError (src/errors/codes.ts), so a page can `switch (err.code)`.
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

/** One opaque error for every failed decryption; `detail` is for logs only. */
export class DecryptError extends PushmeshError {
  static override name = 'DecryptError';
  readonly detail: string;

  constructor(detail: string, options?: ErrorOptions) {
    super('ERR_DECRYPT', 'message could not be decrypted', options);
    this.detail = detail;
  }
}

/** VAPID authorization missing or invalid; `detail` says why. */
export class VapidError extends PushmeshError {
  static override name = 'VapidError';
  readonly detail: string;

  constructor(code: 'ERR_VAPID_MISSING' | 'ERR_VAPID_INVALID', detail: string, options?: ErrorOptions) {
    super(code, code === 'ERR_VAPID_MISSING' ? 'VAPID authorization missing' : `VAPID authorization invalid: ${detail}`, options);
    this.detail = detail;
  }
}

/** ERR_BAD_MESSAGE: the one error decoding or validating outside input throws. */
export function badMessage(reason: string, cause?: unknown): PushmeshError {
  return new PushmeshError('ERR_BAD_MESSAGE', reason, cause === undefined ? undefined : { cause });
}

export function isPushmeshError(err: unknown): err is PushmeshError {
  return err instanceof PushmeshError;
}
