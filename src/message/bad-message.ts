import { PushmeshError } from '../errors/pushmesh-error.js';

/** The one error that decoding or validating outside input throws. */
export function badMessage(reason: string, cause?: unknown): PushmeshError {
  return new PushmeshError('ERR_BAD_MESSAGE', reason, cause === undefined ? undefined : { cause });
}

/** Rethrows ERR_BAD_MESSAGE as is; wraps anything else into one. */
export function asBadMessage(err: unknown, reason: string): PushmeshError {
  if (err instanceof PushmeshError && err.code === 'ERR_BAD_MESSAGE') return err;
  return badMessage(reason, err);
}
