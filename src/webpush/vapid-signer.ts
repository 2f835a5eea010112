import { createPublicKey, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { PushmeshError } from '../errors/index.js';
import { toBase64Url } from '../util/base64url.js';
import { isUncompressedPoint } from './p256.js';
import { formatVapidAuthorization } from './vapid-authorization.js';
import { MAX_VAPID_TTL_SECONDS } from './vapid-claims.js';

/** `sub` used when none is configured: a contact URI that reaches no one, on purpose. */
export const DEFAULT_VAPID_SUBJECT = 'mailto:admin@pushmesh.invalid';
export const DEFAULT_VAPID_TTL_SECONDS = 12 * 3600;

export interface VapidSignerOptions {
  /** The sender's P-256 private key. */
  privateKey: KeyObject;
  /** Its 65-byte uncompressed public key (`k`); must match privateKey. */
  publicKey: Uint8Array;
  /** `sub` claim, a mailto: or https: contact URI. Default DEFAULT_VAPID_SUBJECT. */
  subject?: string;
  /** Token lifetime, seconds; default 12 h, at most 24 h (RFC 8292). */
  ttlSeconds?: number;
  /** A cached token is replaced once it has less than this left; default min(1 h, ttl / 2). */
  renewBeforeSeconds?: number;
  /** Audiences whose token is kept (LRU); default 1000. */
  cacheSize?: number;
  /** Clock, Unix milliseconds. Default Date.now. */
  now?: () => number;
}

/** Counters for tests and metrics. */
export interface VapidSignerStats {
  /** Tokens signed. */
  signatures: number;
  /** Calls answered with a cached token. */
  cacheHits: number;
}

interface CachedHeader {
  /** `exp` of the token, Unix seconds. */
  exp: number;
  header: Promise<string>;
}

/**
 * Signs VAPID authorizations (RFC 8292): `vapid t=<ES256 JWT>, k=<key>`
 * with `aud`, `exp` (now + ttl) and `sub`. One token per audience is
 * reused until it is within `renewBeforeSeconds` of expiry, so a sender
 * signs once per audience per (ttl − renewBefore), not once per message.
 */
export class VapidSigner {
  readonly stats: VapidSignerStats = { signatures: 0, cacheHits: 0 };
  readonly #privateKey: KeyObject;
  readonly #publicKey: Buffer;
  readonly #subject: string;
  readonly #ttl: number;
  readonly #renewBefore: number;
  readonly #now: () => number;
  readonly #cache: LRUCache<string, CachedHeader>;

  constructor(opts: VapidSignerOptions) {
    const { privateKey, publicKey } = opts;
    checkKeyPair(privateKey, publicKey);
    const ttl = opts.ttlSeconds ?? DEFAULT_VAPID_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 60 || ttl > MAX_VAPID_TTL_SECONDS) {
      throw new PushmeshError('ERR_BAD_ARGUMENT', 'VAPID ttlSeconds must be an integer in [60, 86400]');
    }
    const renewBefore = opts.renewBeforeSeconds ?? Math.min(3600, Math.floor(ttl / 2));
    if (!(renewBefore >= 0 && renewBefore < ttl)) {
      throw new PushmeshError('ERR_BAD_ARGUMENT', 'VAPID renewBeforeSeconds must be in [0, ttlSeconds)');
    }
    const subject = opts.subject ?? DEFAULT_VAPID_SUBJECT;
    if (typeof subject !== 'string' || subject.length === 0) {
      throw new PushmeshError('ERR_BAD_ARGUMENT', 'VAPID subject must be a non-empty string');
    }
    this.#privateKey = privateKey;
    this.#publicKey = Buffer.from(publicKey);
    this.#subject = subject;
    this.#ttl = ttl;
    this.#renewBefore = renewBefore;
    this.#now = opts.now ?? Date.now;
    this.#cache = new LRUCache({ max: opts.cacheSize ?? 1000 });
  }

  /** The `Authorization` header value for `audience` (an origin, or `pushmesh://<node-id>`). */
  authorization(audience: string): Promise<string> {
    if (typeof audience !== 'string' || audience.length === 0 || audience.length > 2048) {
      return Promise.reject(new PushmeshError('ERR_BAD_ARGUMENT', 'VAPID audience must be a non-empty string'));
    }
    const nowSeconds = Math.floor(this.#now() / 1000);
    const cached = this.#cache.get(audience);
    if (cached && cached.exp - nowSeconds > this.#renewBefore) {
      this.stats.cacheHits++;
      return cached.header;
    }
    const exp = nowSeconds + this.#ttl;
    const header = this.#sign(audience, exp);
    const entry: CachedHeader = { exp, header };
    this.#cache.set(audience, entry);
    header.catch(() => {
      if (this.#cache.peek(audience) === entry) this.#cache.delete(audience);
    });
    return header;
  }

  async #sign(audience: string, exp: number): Promise<string> {
    this.stats.signatures++;
    const token = await new SignJWT({ aud: audience, exp, sub: this.#subject })
      .setProtectedHeader({ typ: 'JWT', alg: 'ES256' })
      .sign(this.#privateKey);
    return formatVapidAuthorization(token, this.#publicKey);
  }
}

function checkKeyPair(privateKey: KeyObject, publicKey: Uint8Array): void {
  const details = privateKey?.asymmetricKeyDetails;
  if (privateKey?.type !== 'private' || privateKey.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
    throw new PushmeshError('ERR_BAD_KEY', 'VAPID private key must be a P-256 private KeyObject');
  }
  if (!(publicKey instanceof Uint8Array) || !isUncompressedPoint(publicKey)) {
    throw new PushmeshError('ERR_BAD_KEY', 'VAPID public key must be a 65-byte uncompressed P-256 point');
  }
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  const expected = `${jwk.x}.${jwk.y}`;
  if (expected !== `${toBase64Url(publicKey.subarray(1, 33))}.${toBase64Url(publicKey.subarray(33, 65))}`) {
    throw new PushmeshError('ERR_BAD_KEY', 'VAPID public key does not match the private key');
  }
}
