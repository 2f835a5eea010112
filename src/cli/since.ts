import { PushmeshError } from '../errors/index.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * `--since`: Unix milliseconds (digits only), or a duration before `now`
 * (`90s`, `5m`, `2h`, `1d`, `500ms`). Returns Unix ms; anything else is
 * ERR_BAD_ARGUMENT.
 */
export function parseSince(text: string, now: number): number {
  if (/^\d{1,15}$/.test(text)) return Number(text);
  const m = /^(\d{1,9})(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new PushmeshError('ERR_BAD_ARGUMENT', `--since "${text.slice(0, 32)}" must be Unix milliseconds or a duration ago such as 30s, 5m, 2h, 1d`);
  return Math.max(0, now - Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}
