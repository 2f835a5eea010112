import { PushmeshError } from '../errors/index.js';

/** How many statuses `GET /statuses` gives without `?recent=`. */
export const DEFAULT_RECENT = 20;
/** The most `?recent=` may ask for. */
export const MAX_RECENT = 1000;

/**
 * `?recent=N` of `GET /statuses`: absent → 20; else a decimal integer
 * from 1 to 1000 (no sign, no leading zero, given once). Anything else is
 * ERR_BAD_ARGUMENT.
 */
export function parseRecent(value: unknown): number {
  if (value === undefined) return DEFAULT_RECENT;
  if (typeof value !== 'string' || !/^[1-9]\d{0,3}$/.test(value) || Number(value) > MAX_RECENT) {
    throw new PushmeshError('ERR_BAD_ARGUMENT', `"recent" must be a whole number from 1 to ${MAX_RECENT}`);
  }
  return Number(value);
}
