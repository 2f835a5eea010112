/**
 * VAPID (RFC 8292) with WebCrypto: signing `vapid t=<ES256 JWT>, k=<key>`
 * as the node's VapidSigner does (header {"typ":"JWT","alg":"ES256"},
 * claims {"aud","exp","sub"} in that order), and verifying one as the
 * node's VapidVerifier does (ES256 only, aud, exp ≤ now + 24 h (+ tolerance), nbf).
 */
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from './bytes.js';
import { ecdsaSign, ecdsaVerify, importP256PublicKey, isUncompressedPoint } from './crypto.js';
import { PushmeshError, VapidError } from './errors.js';
import type { WebCryptoKey } from './webcrypto-types.js';

export const DEFAULT_VAPID_SUBJECT = 'mailto:admin@pushmesh.invalid';
export const DEFAULT_VAPID_TTL_SECONDS = 12 * 3600;
export const MAX_VAPID_TTL_SECONDS = 86_400;
export const MAX_VAPID_AUTHORIZATION_LENGTH = 8192;

export interface VapidSignerOptions {
  /** ECDSA P-256 private key with usage 'sign' (non-extractable is fine). */
  privateKey: WebCryptoKey;
  /** Its 65-byte uncompressed public key (`k`). */
  publicKey: Uint8Array;
  subject?: string;
  /** Token lifetime, seconds; default 12 h, 60 … 86 400. */
  ttlSeconds?: number;
  /** A cached token is replaced once it has less than this left; default min(1 h, ttl / 2). */
  renewBeforeSeconds?: number;
  /** Clock, Unix milliseconds. */
  now?: () => number;
}

/** The JWS signing input of a VAPID token: base64url(header) "." base64url(claims). */
export function vapidSigningInput(audience: string, exp: number, subject: string): string {
  const header = toBase64Url(utf8(JSON.stringify({ typ: 'JWT', alg: 'ES256' })));
  const claims = toBase64Url(utf8(JSON.stringify({ aud: audience, exp, sub: subject })));
  return `${header}.${claims}`;
}

/** Signs VAPID authorizations; one token per audience, reused until it nears expiry (at most 64 audiences kept). */
export class VapidSigner {
  readonly #key: WebCryptoKey;
  readonly #publicKey: Uint8Array;
  readonly #subject: string;
  readonly #ttl: number;
  readonly #renewBefore: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, { exp: number; header: Promise<string> }>();

  constructor(opts: VapidSignerOptions) {
    if (!isUncompressedPoint(opts.publicKey)) throw new PushmeshError('ERR_BAD_KEY', 'VAPID public key must be a 65-byte uncompressed P-256 point');
    const ttl = opts.ttlSeconds ?? DEFAULT_VAPID_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 60 || ttl > MAX_VAPID_TTL_SECONDS) throw new PushmeshError('ERR_BAD_ARGUMENT', 'VAPID ttlSeconds must be an integer in [60, 86400]');
    const renewBefore = opts.renewBeforeSeconds ?? Math.min(3600, Math.floor(ttl / 2));
    if (!(renewBefore >= 0 && renewBefore < ttl)) throw new PushmeshError('ERR_BAD_ARGUMENT', 'VAPID renewBeforeSeconds must be in [0, ttlSeconds)');
    const subject = opts.subject ?? DEFAULT_VAPID_SUBJECT;
    if (typeof subject !== 'string' || subject.length === 0) throw new PushmeshError('ERR_BAD_ARGUMENT', 'VAPID subject must be a non-empty string');
    this.#key = opts.privateKey;
    this.#publicKey = opts.publicKey.slice();
    this.#subject = subject;
    this.#ttl = ttl;
    this.#renewBefore = renewBefore;
    this.#now = opts.now ?? Date.now;
  }

  /** The `Authorization` value for `audience` (`pushmesh://<node id>` on links). */
  authorization(audience: string): Promise<string> {
    if (typeof audience !== 'string' || audience.length === 0 || audience.length > 2048) {
      return Promise.reject(new PushmeshError('ERR_BAD_ARGUMENT', 'VAPID audience must be a non-empty string'));
    }
    const nowSeconds = Math.floor(this.#now() / 1000);
    const cached = this.#cache.get(audience);
    if (cached && cached.exp - nowSeconds > this.#renewBefore) return cached.header;
    const exp = nowSeconds + this.#ttl;
    const header = signVapid(this.#key, this.#publicKey, audience, exp, this.#subject);
    const entry = { exp, header };
    if (this.#cache.size >= 64) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(audience, entry);
    header.catch(() => {
      if (this.#cache.get(audience) === entry) this.#cache.delete(audience);
    });
    return header;
  }
}

/** One VAPID authorization: `vapid t=<header.claims.sig>, k=<key>`. */
export async function signVapid(privateKey: WebCryptoKey, publicKey: Uint8Array, audience: string, exp: number, subject: string): Promise<string> {
  const input = vapidSigningInput(audience, exp, subject);
  const sig = await ecdsaSign(privateKey, utf8(input));
  return `vapid t=${input}.${toBase64Url(sig)}, k=${toBase64Url(publicKey)}`;
}

export interface VapidAuthorization {
  token: string;
  /** 65-byte uncompressed key (shape checked, curve not yet). */
  key: Uint8Array;
}

const PRINTABLE = /^[\x20-\x7e\t]*$/;
const SCHEME = /^[ \t]*vapid[ \t]+/i;
const PARAM = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*=[ \t]*(.*)$/;
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function invalid(detail: string, cause?: unknown): VapidError {
  return new VapidError('ERR_VAPID_INVALID', detail, cause === undefined ? undefined : { cause });
}

/** Parses `vapid t=…, k=…` by the node's rules (src/webpush/vapid-authorization.ts). Every refusal is ERR_VAPID_INVALID. */
export function parseVapidAuthorization(header: string): VapidAuthorization {
  if (typeof header !== 'string') throw invalid('header is not a string');
  if (header.length > MAX_VAPID_AUTHORIZATION_LENGTH) throw invalid('header too long');
  if (!PRINTABLE.test(header)) throw invalid('header has control or non-ASCII characters');
  const scheme = SCHEME.exec(header);
  if (!scheme) throw invalid('scheme is not vapid');
  let token: string | undefined;
  let keyText: string | undefined;
  for (const item of header.slice(scheme[0].length).split(',')) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    const param = PARAM.exec(trimmed);
    if (!param) throw invalid('malformed parameter');
    const name = param[1]!.toLowerCase();
    const value = unquote(param[2]!);
    if (name === 't') {
      if (token !== undefined) throw invalid('duplicate t parameter');
      token = value;
    } else if (name === 'k') {
      if (keyText !== undefined) throw invalid('duplicate k parameter');
      keyText = value;
    }
  }
  if (token === undefined) throw invalid('missing t parameter');
  if (keyText === undefined) throw invalid('missing k parameter');
  if (!JWS_COMPACT.test(token)) throw invalid('t is not a compact JWS');
  let key: Uint8Array;
  try {
    key = fromBase64Url(keyText);
  } catch (cause) {
    throw invalid('k is not base64url', cause);
  }
  if (!isUncompressedPoint(key)) throw invalid('k is not a 65-byte uncompressed P-256 key');
  return { token, key };
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    const inner = value.slice(1, -1);
    if (/["\\]/.test(inner)) throw invalid('bad quoted value');
    return inner;
  }
  if (value.includes('"')) throw invalid('bad quoted value');
  return value;
}

export interface VerifiedVapid {
  publicKey: Uint8Array;
  subject?: string;
  /** `exp`, Unix seconds. */
  expires: number;
}

export interface VerifyVapidOptions {
  /** Clock, Unix milliseconds. */
  now?: () => number;
  /** Clock skew allowed on exp-too-far and nbf, seconds; default 60. */
  clockToleranceSeconds?: number;
}

/**
 * Verifies an authorization for `audience`: ES256 signature by `k`,
 * `aud` matches, `exp` in the future and at most 24 h (+ tolerance)
 * ahead, `nbf` passed. Missing: ERR_VAPID_MISSING; anything else wrong: ERR_VAPID_INVALID.
 */
export async function verifyVapid(authorization: string | undefined, audience: string | readonly string[], opts: VerifyVapidOptions = {}): Promise<VerifiedVapid> {
  if (authorization == null || authorization.trim() === '') throw new VapidError('ERR_VAPID_MISSING', 'no Authorization header');
  const { token, key } = parseVapidAuthorization(authorization);
  const [h, p, s] = token.split('.') as [string, string, string];
  const header = jsonPart(h, 'header');
  if (header['alg'] !== 'ES256') throw invalid('alg is not ES256');
  if (header['crit'] !== undefined) throw invalid('malformed token (crit)');
  let publicKey: WebCryptoKey;
  try {
    publicKey = await importP256PublicKey(key, 'ECDSA');
  } catch (cause) {
    throw invalid('k is not a point on P-256', cause);
  }
  const sig = decodePart(s, 'signature');
  if (!(await ecdsaVerify(publicKey, sig, utf8(`${h}.${p}`)))) throw invalid('bad signature');
  const claims = jsonPart(p, 'payload');
  const { aud, exp, nbf, sub } = claims;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw invalid('exp missing or not a number');
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) throw invalid('nbf not a number');
  const audOk = typeof aud === 'string' || (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string'));
  if (!audOk) throw invalid('aud missing or not a string');
  if (sub !== undefined && typeof sub !== 'string') throw invalid('sub not a string');
  const accepted: readonly string[] = typeof audience === 'string' ? [audience] : audience;
  const claimed: readonly string[] = typeof aud === 'string' ? [aud] : (aud as string[]);
  if (!claimed.some((a) => accepted.includes(a))) throw invalid('aud does not match');
  const now = (opts.now ?? Date.now)() / 1000;
  const tolerance = opts.clockToleranceSeconds ?? 60;
  if (exp <= now) throw invalid('expired');
  if (exp > now + MAX_VAPID_TTL_SECONDS + tolerance) throw invalid('exp too far ahead');
  if (typeof nbf === 'number' && nbf > now + tolerance) throw invalid('not yet valid (nbf)');
  const result: VerifiedVapid = { publicKey: key, expires: exp };
  if (typeof sub === 'string') result.subject = sub;
  return result;
}

function decodePart(text: string, what: string): Uint8Array {
  try {
    return fromBase64Url(text);
  } catch (cause) {
    throw invalid(`malformed token (${what})`, cause);
  }
}

function jsonPart(text: string, what: string): Record<string, unknown> {
  const s = fromUtf8(decodePart(text, what));
  let v: unknown;
  try {
    v = s === undefined ? undefined : JSON.parse(s);
  } catch {
    v = undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(`malformed token (${what} is not a JSON object)`);
  return v as Record<string, unknown>;
}
