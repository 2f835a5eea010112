import { PushmeshError } from '../errors/index.js';

/**
 * Where a `/req` request may go: the configured service's origin and base
 * path (docs/request-response.md, "Paths"). A request path is joined under
 * the base path, never resolved against it, so nothing a caller writes
 * can reach another host, port or path prefix.
 */
export interface ServiceTarget {
  /** `http(s)://host:port` of the configured target. */
  readonly origin: string;
  /** The target's path without its trailing `/`: `''` for `http://h:p/`, `/api` for `http://h:p/api/`. */
  readonly basePath: string;
}

/** Longest request path (with its query) accepted, characters. */
export const MAX_SERVICE_PATH = 2048;
/** Levels of percent-encoding looked through when checking a segment (`%25252e`…); deeper is refused. */
const MAX_DECODE_ROUNDS = 4;

const refuse = (reason: string): PushmeshError => new PushmeshError('ERR_BAD_ARGUMENT', `request path refused: ${reason}`);

/** The origin and base path of a configured target URL (its query, fragment and credentials are not used). */
export function serviceTarget(target: string | URL): ServiceTarget {
  const u = new URL(target);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new PushmeshError('ERR_CONFIG', 'service target must be http:// or https://');
  return { origin: u.origin, basePath: u.pathname.replace(/\/+$/, '') };
}

// C0 and C1 controls, DEL, and the Unicode line/paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// What a raw request path may hold: printable ASCII without space, `#` and `\` (everything else must be %-encoded).
const RAW_PATH = /^[!$%&'()*+,\-./0-9:;=?@A-Z[\]^_`a-z{|}~]*$/;
const PERCENT = /%[0-9A-Fa-f]{2}/;

function decodeOnce(s: string, where: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw refuse(`bad percent-encoding in ${where}`);
  }
}

/** Refuses a decoded segment that could mean another path to anyone who reads it (a server, a file system, a proxy). */
function checkDecoded(seg: string, shown: string): void {
  if (CONTROL.test(seg)) throw refuse(`control character in segment "${shown}"`);
  if (seg.includes('\\')) throw refuse(`backslash in segment "${shown}"`);
  if (seg.includes('/')) throw refuse(`encoded "/" in segment "${shown}"`);
  // `..`, `.`, `...`, and `..;x` (path parameters, as Tomcat reads them) are dot segments somewhere.
  // Trailing spaces too: Windows file systems drop them.
  if (/^\s*\.[.\s]*$/.test(seg.split(';')[0]!)) throw refuse(`dot segment "${shown}"`);
}

/** `encodeURIComponent`, but keeping the sub-delimiters a path segment may hold as they are (`;` stays encoded). */
function encodeSegment(seg: string): string {
  return encodeURIComponent(seg).replace(/%(?:24|26|2B|2C|3A|3D|40)/g, (m) => String.fromCharCode(parseInt(m.slice(1), 16)));
}

/**
 * Checks a request path (`/seg/seg?query`, as sent by the caller) and
 * returns its canonical form: each segment percent-decoded exactly once
 * and encoded again, the query kept as given. Refused (ERR_BAD_ARGUMENT,
 * with the reason): anything but a path starting with one `/`; raw
 * spaces, controls, `#`, `\` or non-ASCII; `//` (an empty segment); a
 * segment that, decoded once or as many times as it holds %-escapes (up
 * to 4 levels) or NFKC-folded, is a dot segment (`.`, `..`, `..;x`) or
 * holds `/`, `\` or a control character; a bad %-escape.
 */
export function normalizeServicePath(path: string): string {
  if (typeof path !== 'string' || path.length === 0) throw refuse('empty');
  if (path.length > MAX_SERVICE_PATH) throw refuse(`longer than ${MAX_SERVICE_PATH} characters`);
  if (!path.startsWith('/')) throw refuse('it must start with "/" (no scheme, no host)');
  if (CONTROL.test(path)) throw refuse('control character');
  if (path.includes('\\')) throw refuse('backslash');
  if (!RAW_PATH.test(path)) throw refuse('a raw space, "#" or non-ASCII character (send it %-encoded)');
  const q = path.indexOf('?');
  const pathPart = q < 0 ? path : path.slice(0, q);
  const query = q < 0 ? undefined : path.slice(q + 1);
  const segments = pathPart.slice(1).split('/');
  const out: string[] = [];
  segments.forEach((raw, i) => {
    if (raw === '' && i !== segments.length - 1) throw refuse('empty segment ("//")');
    const shown = raw.slice(0, 80);
    const once = decodeOnce(raw, `segment "${shown}"`);
    checkDecoded(once, shown);
    // Look through further levels of encoding: a service (or a proxy in front of it) may decode again.
    let deep = once;
    for (let round = 1; PERCENT.test(deep); round++) {
      if (round >= MAX_DECODE_ROUNDS) throw refuse(`too many levels of percent-encoding in segment "${shown}"`);
      deep = decodeOnce(deep, `segment "${shown}" (decoded ${round + 1} times)`);
      checkDecoded(deep, shown);
    }
    const folded = deep.normalize('NFKC');
    if (folded !== deep) checkDecoded(folded, shown);
    out.push(encodeSegment(once));
  });
  return `/${out.join('/')}${query === undefined ? '' : `?${query}`}`;
}

/**
 * The URL a request path reaches at the service: the target's origin +
 * its base path + the canonical request path. Throws ERR_BAD_ARGUMENT for
 * a path `normalizeServicePath` refuses, or (defence in depth) one that
 * would resolve outside the origin or the base path.
 */
export function resolveServiceUrl(target: ServiceTarget, path: string): URL {
  const canonical = normalizeServicePath(path);
  const q = canonical.indexOf('?');
  const canonicalPath = q < 0 ? canonical : canonical.slice(0, q);
  const url = new URL(`${target.origin}${target.basePath}${canonical}`);
  if (url.origin !== target.origin || url.username !== '' || url.password !== '') throw refuse('it resolves to another origin');
  if (url.pathname !== `${target.basePath}${canonicalPath}` || !url.pathname.startsWith(`${target.basePath}/`)) throw refuse('it resolves outside the service\'s base path');
  return url;
}
