/** `typ` of the protected header of every signed config. */
export const CONFIG_JWS_TYPE = 'pushmesh-config+jws';
/** Media type of a signed config in HTTP bodies (RFC 7515 §9.2.1). */
export const CONFIG_MEDIA_TYPE = 'application/jose';
/** Topic of the mesh messages that carry signed configs between nodes. */
export const CONFIG_TOPIC = 'pushmesh.config';
/** Largest compact JWS accepted, characters. */
export const MAX_SIGNED_CONFIG_LENGTH = 64 * 1024;
/** Most recipients of one encrypted config. */
export const MAX_CONFIG_RECIPIENTS = 256;

/**
 * Namespaces and names: 1–64 characters of letters, digits, `_` and `-`,
 * starting with a letter or digit. Safe as a URL path segment, a file
 * name, and a NATS subject token.
 */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function isConfigName(text: unknown): text is string {
  return typeof text === 'string' && NAME_RE.test(text);
}

/** Versions are integers from 0 to 2^53 − 1, compared as numbers. */
export function isConfigVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export const NAME_RULE = '1-64 characters of A-Z a-z 0-9 _ -, starting with a letter or digit';
