import { PushmeshError } from './pushmesh-error.js';

/** A backend refused or failed an operation; `retryable` says whether trying again may help. */
export class BackendError extends PushmeshError {
  static override name = 'BackendError';
  readonly retryable: boolean;
  /** A delay the backend asked for (HTTP Retry-After), ms. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, opts: { retryable: boolean; retryAfterMs?: number; cause?: unknown }) {
    super('ERR_BACKEND', message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.retryable = opts.retryable;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof BackendError ? err.retryable : true;
}
