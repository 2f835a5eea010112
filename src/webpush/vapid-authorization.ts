import { VapidError } from '../errors/index.js';
import { fromBase64Url, toBase64Url } from '../util/base64url.js';
import { isUncompressedPoint } from './p256.js';

/** The two parameters of `Authorization: vapid t=…, k=…` (RFC 8292 §3). */
export interface VapidAuthorization {
  /** The JWT (JWS compact serialization), unverified. */
  token: string;
  /** The sender's 65-byte uncompressed P-256 public key (shape checked, curve not yet). */
  key: Buffer;
}

/** Longer headers are refused before any parsing. */
export const MAX_VAPID_AUTHORIZATION_LENGTH = 8192;
const PRINTABLE = /^[\x20-\x7e\t]*$/;
const SCHEME = /^[ \t]*vapid[ \t]+/i;
const PARAM = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]*=[ \t]*(.*)$/;
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function invalid(detail: string, cause?: unknown): VapidError {
  return new VapidError('ERR_VAPID_INVALID', detail, cause === undefined ? undefined : { cause });
}

/**
 * Parses `vapid t=<jwt>, k=<key>`: scheme case-insensitive, parameters in
 * any order with names case-insensitive, optional whitespace around `,`
 * and `=`, values optionally quoted, unknown parameters ignored, `t` and
 * `k` each exactly once. `k` is strict base64url (trailing `=` padding
 * tolerated) of a 65-byte uncompressed point. Anything else is a
 * VapidError ERR_VAPID_INVALID.
 */
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

  let key: Buffer;
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
    // Values are base64url or JWS: nothing in them needs escaping.
    if (/["\\]/.test(inner)) throw invalid('bad quoted value');
    return inner;
  }
  if (value.includes('"')) throw invalid('bad quoted value');
  return value;
}

/** `vapid t=<token>, k=<base64url key>` (RFC 8292 §3). */
export function formatVapidAuthorization(token: string, key: Uint8Array): string {
  return `vapid t=${token}, k=${toBase64Url(key)}`;
}
