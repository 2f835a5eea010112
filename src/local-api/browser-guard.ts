import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { PushmeshError } from '../errors/index.js';

/**
 * Routes a browser may reach from anywhere with GET or HEAD: they change
 * nothing (no message sent or marked read, no receipt) and answer nothing
 * another origin's page can read (no CORS headers). Every other request —
 * any other method, any other route (`/req/…` and `/msg…` reads
 * included), a WebSocket — is guarded.
 */
export const READ_ONLY_ROUTES: ReadonlySet<string> = new Set([
  '/', '/dashboard.js', '/dashboard.css', '/favicon.ico',
  '/id', '/peers', '/routes', '/healthz', '/metrics',
  '/config', '/config/:ns/:name', '/msg/status/:id',
]);

/** Fetch destinations that render a document (a page load, a frame, a plugin). */
const DOCUMENT_DESTS = new Set(['document', 'iframe', 'frame', 'embed', 'object', 'fencedframe']);

/**
 * The local API trusts whoever can reach it, so it must not let a web
 * page act through the user's browser. Refused with 403 (ERR_FORBIDDEN):
 *
 * - a guarded request (see READ_ONLY_ROUTES: every method on `/req/…`,
 *   reads of `/msg…` that mark messages consumed, every POST, WebSockets)
 *   that a browser sends for a page of another origin or as a navigation:
 *   `Sec-Fetch-Site` other than `same-origin`/`none`; `Sec-Fetch-Mode:
 *   navigate` or a document `Sec-Fetch-Dest` (a link, a typed URL, an
 *   iframe, an `<embed>`/`<object>`); an `Origin` or a `Referer` that is
 *   not this API's own origin (CSRF, cross-site WebSocket hijacking,
 *   forged receipts, answers rendered in this origin);
 * - on a loopback connection, any request with a `Host` that is neither
 *   an IP address nor `localhost` (DNS rebinding: a page of evil.example
 *   whose name now points at 127.0.0.1 would otherwise be "same-origin").
 *
 * Programs (curl, Node's fetch, SDKs) send no Origin, no Referer and no
 * Sec-Fetch-Site (Node's fetch sends `Sec-Fetch-Mode: cors`), and use an
 * IP or localhost, so they are never refused; the dashboard's own
 * `fetch`/EventSource calls are same-origin.
 */
export function checkBrowserRequest(req: IncomingMessage, opts: { upgrade?: boolean; route?: string | undefined } = {}): void {
  const host = one(req.headers.host);
  if (host !== undefined && isLoopback(req.socket.localAddress) && !isLocalHostName(host)) {
    throw forbidden(`host name ${JSON.stringify(host.slice(0, 100))} refused: use 127.0.0.1, [::1] or localhost`);
  }
  if (!isGuarded(req.method, opts)) return;
  const site = one(req.headers['sec-fetch-site']);
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw forbidden(`request from another site's page refused (Sec-Fetch-Site: ${site.slice(0, 20)})`);
  }
  const mode = one(req.headers['sec-fetch-mode']);
  const dest = one(req.headers['sec-fetch-dest']);
  if (mode === 'navigate' || mode === 'nested-navigate' || (dest !== undefined && DOCUMENT_DESTS.has(dest))) {
    throw forbidden('a page load, link or frame is refused on this route: call it from a program or with fetch()');
  }
  const own = host === undefined ? undefined : originOf(`http://${host}`);
  const origin = one(req.headers.origin);
  if (origin !== undefined && origin !== own) {
    throw forbidden(`request from another origin's page refused (Origin: ${origin.slice(0, 100)})`);
  }
  const referer = one(req.headers.referer);
  if (referer !== undefined && originOf(referer) !== own) {
    throw forbidden('request from another origin\'s page refused (Referer)');
  }
}

/** Whether a request must come from a program or this origin's own page (see checkBrowserRequest). */
export function isGuarded(method: string | undefined, opts: { upgrade?: boolean; route?: string | undefined }): boolean {
  if (opts.upgrade === true) return true;
  if (method !== 'GET' && method !== 'HEAD') return true;
  return opts.route === undefined || !READ_ONLY_ROUTES.has(opts.route);
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function forbidden(message: string): PushmeshError {
  return new PushmeshError('ERR_FORBIDDEN', message);
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/** An IP literal or `localhost`, with or without a port: names no DNS answer can point elsewhere. */
export function isLocalHostName(host: string): boolean {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]]+))(?::\d{1,5})?$/.exec(host);
  if (!m) return false;
  if (m[1] !== undefined) return isIP(m[1]) === 6;
  const name = m[2]!.toLowerCase().replace(/\.$/, '');
  return isIP(name) === 4 || name === 'localhost';
}
