import { compactVerify, importJWK, errors as joseErrors } from 'jose';
import { LRUCache } from 'lru-cache';
import { VapidError } from '../errors/index.js';
import { toBase64Url } from '../util/base64url.js';
import { parseVapidAuthorization } from './vapid-authorization.js';
import { checkVapidClaims, MAX_VAPID_TTL_SECONDS, readVapidClaims, type VapidClaims, type VerifiedVapid } from './vapid-claims.js';

export interface VapidVerifierOptions {
  /** Verified tokens kept (LRU); 0 turns the cache off. Default 10 000. */
  cacheSize?: number;
  /** Clock, Unix milliseconds. Default Date.now. */
  now?: () => number;
  /** Largest accepted `exp` − now, seconds. Default and maximum 86 400 (RFC 8292). */
  maxTtlSeconds?: number;
  /**
   * Clock skew allowed on `exp` being too far ahead and on `nbf`, seconds.
   * Default 60: senders that set exp = their now + 24 h (pywebpush does)
   * would otherwise fail on a receiver whose clock is a little behind.
   * An `exp` in the past is never tolerated.
   */
  clockToleranceSeconds?: number;
}

/** Counters for tests and metrics. */
export interface VapidVerifierStats {
  /** ES256 signature verifications run. */
  signatureChecks: number;
  /** Verifications answered from the token cache. */
  cacheHits: number;
  /** Public keys imported (one per distinct `k` while cached). */
  keyImports: number;
}

interface VerifiedToken {
  publicKey: Buffer;
  /** `publicKey` as base64url (the `k` parameter, without padding). */
  keyText: string;
  claims: VapidClaims;
}

type VerifyKey = Awaited<ReturnType<typeof importJWK>>;

/**
 * Verifies `Authorization: vapid t=…, k=…` (RFC 8292) for one audience.
 * A missing header is ERR_VAPID_MISSING (HTTP 401); anything wrong is
 * ERR_VAPID_INVALID (HTTP 403) with the reason in `detail`. Tokens whose
 * signature verified are cached by (token, key), so a stream of messages
 * from one sender costs one signature check; `aud`, `exp` and `nbf` are
 * still checked against the request on every call.
 */
export class VapidVerifier {
  readonly stats: VapidVerifierStats = { signatureChecks: 0, cacheHits: 0, keyImports: 0 };
  readonly #now: () => number;
  readonly #maxTtl: number;
  readonly #tolerance: number;
  readonly #tokens: LRUCache<string, Promise<VerifiedToken>> | undefined;
  /**
   * The same verified tokens by the whole Authorization header as it came: a sender
   * reuses one header for many messages, so a hit skips parsing it again
   * (`#tokens` keeps one entry for two spellings of one token and key).
   */
  readonly #headers: LRUCache<string, Promise<VerifiedToken>> | undefined;
  readonly #keys: LRUCache<string, Promise<VerifyKey>>;

  constructor(opts: VapidVerifierOptions = {}) {
    const cacheSize = opts.cacheSize ?? 10_000;
    const maxTtl = opts.maxTtlSeconds ?? MAX_VAPID_TTL_SECONDS;
    const tolerance = opts.clockToleranceSeconds ?? 60;
    if (!Number.isInteger(cacheSize) || cacheSize < 0) throw new RangeError('cacheSize must be a non-negative integer');
    if (!(maxTtl > 0 && maxTtl <= MAX_VAPID_TTL_SECONDS)) throw new RangeError('maxTtlSeconds must be in (0, 86400]');
    if (!(tolerance >= 0 && tolerance <= 3600)) throw new RangeError('clockToleranceSeconds must be in [0, 3600]');
    this.#now = opts.now ?? Date.now;
    this.#maxTtl = maxTtl;
    this.#tolerance = tolerance;
    this.#tokens = cacheSize > 0 ? new LRUCache({ max: cacheSize }) : undefined;
    this.#headers = cacheSize > 0 ? new LRUCache({ max: cacheSize }) : undefined;
    this.#keys = new LRUCache({ max: Math.max(16, Math.min(cacheSize, 1024)) });
  }

  /**
   * `at` (Unix ms) checks `exp`/`nbf` as of that time instead of now: a
   * durable backend may hand over, late, a message whose token was good
   * when the message was made (callers bound how far back).
   */
  async verify(authorization: string | undefined, audience: string | readonly string[], opts: { at?: number } = {}): Promise<VerifiedVapid> {
    if (authorization == null || (typeof authorization === 'string' && authorization.trim() === '')) {
      throw new VapidError('ERR_VAPID_MISSING', 'no Authorization header');
    }
    let pending = typeof authorization === 'string' ? this.#headers?.get(authorization) : undefined;
    if (pending) this.stats.cacheHits++;
    else pending = this.#byToken(authorization);
    const verified = await pending;
    checkVapidClaims(verified.claims, audience, (opts.at ?? this.#now()) / 1000, this.#maxTtl, this.#tolerance);
    const result: VerifiedVapid = { publicKey: Buffer.from(verified.publicKey), keyText: verified.keyText, expires: verified.claims.exp };
    if (verified.claims.sub !== undefined) result.subject = verified.claims.sub;
    return result;
  }

  /** A header not seen as such: parsed, then the token cache or a signature check. Throws (synchronously) for a malformed header. */
  #byToken(authorization: string): Promise<VerifiedToken> {
    const { token, key } = parseVapidAuthorization(authorization);
    const keyText = toBase64Url(key);
    const cacheKey = `${token} ${keyText}`;
    let pending = this.#tokens?.get(cacheKey);
    if (pending) {
      this.stats.cacheHits++;
    } else {
      pending = this.#verifySignature(token, key, keyText);
      if (this.#tokens) {
        const tokens = this.#tokens;
        tokens.set(cacheKey, pending);
        // Only verified tokens stay cached.
        pending.catch(() => {
          if (tokens.peek(cacheKey) === pending) tokens.delete(cacheKey);
        });
      }
    }
    if (this.#headers) {
      const headers = this.#headers;
      const p = pending;
      headers.set(authorization, p);
      p.catch(() => {
        if (headers.peek(authorization) === p) headers.delete(authorization);
      });
    }
    return pending;
  }

  async #verifySignature(token: string, key: Buffer, keyText: string): Promise<VerifiedToken> {
    const publicKey = await this.#importKey(key, keyText);
    this.stats.signatureChecks++;
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(token, publicKey, { algorithms: ['ES256'] }));
    } catch (cause) {
      throw new VapidError('ERR_VAPID_INVALID', joseDetail(cause), { cause });
    }
    return { publicKey: key, keyText, claims: readVapidClaims(payload) };
  }

  #importKey(key: Buffer, keyText: string): Promise<VerifyKey> {
    let imported = this.#keys.get(keyText);
    if (!imported) {
      this.stats.keyImports++;
      const jwk = { kty: 'EC', crv: 'P-256', x: toBase64Url(key.subarray(1, 33)), y: toBase64Url(key.subarray(33, 65)) };
      imported = importJWK(jwk, 'ES256').catch((cause: unknown) => {
        this.#keys.delete(keyText);
        throw new VapidError('ERR_VAPID_INVALID', 'k is not a point on P-256', { cause });
      });
      this.#keys.set(keyText, imported);
    }
    return imported;
  }
}

function joseDetail(err: unknown): string {
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'alg is not ES256';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof joseErrors.JOSEError) return `malformed token (${err.code})`;
  return 'malformed token';
}
