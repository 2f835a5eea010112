import { VapidError } from '../errors/index.js';

/** RFC 8292 §2: `exp` no more than 24 hours after the request. */
export const MAX_VAPID_TTL_SECONDS = 86_400;

/** What a verified VAPID authorization tells about its sender. */
export interface VerifiedVapid {
  /** The sender's 65-byte uncompressed P-256 public key (`k`). */
  publicKey: Buffer;
  /** `publicKey` as base64url without padding (a ready map key for per-sender caches). */
  keyText?: string;
  /** The `sub` claim (contact URI), when present. */
  subject?: string;
  /** The `exp` claim, Unix seconds. */
  expires: number;
}

/** The claims pushmesh reads from a VAPID JWT, checked for type. */
export interface VapidClaims {
  aud: string | string[];
  exp: number;
  nbf?: number;
  sub?: string;
}

function invalid(detail: string, cause?: unknown): VapidError {
  return new VapidError('ERR_VAPID_INVALID', detail, cause === undefined ? undefined : { cause });
}

/** Parses the JWT payload; refuses a non-object, a missing/non-numeric `exp`, a missing `aud`, a non-string `sub`. */
export function readVapidClaims(payload: Uint8Array): VapidClaims {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch (cause) {
    throw invalid('payload is not JSON', cause);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid('payload is not a JSON object');
  const { aud, exp, nbf, sub } = json as Record<string, unknown>;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw invalid('exp missing or not a number');
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) throw invalid('nbf not a number');
  const audOk = typeof aud === 'string' || (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string'));
  if (!audOk) throw invalid('aud missing or not a string');
  if (sub !== undefined && typeof sub !== 'string') throw invalid('sub not a string');
  const claims: VapidClaims = { aud: aud as string | string[], exp };
  if (nbf !== undefined) claims.nbf = nbf as number;
  if (sub !== undefined) claims.sub = sub as string;
  return claims;
}

/**
 * The per-request checks, run on every verify (cached or not): `aud`
 * names the audience, `exp` is in the future and at most `maxTtlSeconds`
 * (+ tolerance) ahead, `nbf` (if any) has passed.
 */
export function checkVapidClaims(
  claims: VapidClaims,
  audience: string | readonly string[],
  nowSeconds: number,
  maxTtlSeconds: number,
  toleranceSeconds: number,
): void {
  const accepted: readonly string[] = typeof audience === 'string' ? [audience] : audience;
  const claimed: readonly string[] = typeof claims.aud === 'string' ? [claims.aud] : claims.aud;
  const audOk = claimed.some((a) => accepted.includes(a));
  if (!audOk) throw invalid('aud does not match');
  if (claims.exp <= nowSeconds) throw invalid('expired');
  if (claims.exp > nowSeconds + maxTtlSeconds + toleranceSeconds) throw invalid('exp too far ahead');
  if (claims.nbf !== undefined && claims.nbf > nowSeconds + toleranceSeconds) throw invalid('not yet valid (nbf)');
}
