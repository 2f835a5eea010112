import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { PushmeshError } from '../errors/index.js';

/**
 * The local API trusts whoever can reach it, so it must not let a web
 * page act through the user's browser. Refused with 403 (ERR_FORBIDDEN):
 *
 * - a request that changes something (any method but GET/HEAD) or opens a
 *   WebSocket, sent by a browser for a page of another origin: its
 *   `Sec-Fetch-Site` is not `same-origin`/`none`, or its `Origin` is not
 *   this API's own origin (CSRF, cross-site WebSocket hijacking);
 * - on a loopback connection, a `Host` that is neither an IP address nor
 *   `localhost` (DNS rebinding: a page of evil.example whose name now
 *   points at 127.0.0.1 would otherwise be "same-origin").
 *
 * Programs (curl, Node's fetch, SDKs) send neither Origin nor
 * Sec-Fetch-Site, and use an IP or localhost, so they are never refused;
 * GETs from other sites' pages get answers the browser will not let them
 * read (no CORS headers).
 */
export function checkBrowserRequest(req: IncomingMessage, opts: { upgrade?: boolean } = {}): void {
  const host = one(req.headers.host);
  if (host !== undefined && isLoopback(req.socket.localAddress) && !isLocalHostName(host)) {
    throw forbidden(`host name ${JSON.stringify(host.slice(0, 100))} refused: use 127.0.0.1, [::1] or localhost`);
  }
  const changes = opts.upgrade === true || (req.method !== 'GET' && req.method !== 'HEAD');
  if (!changes) return;
  const site = one(req.headers['sec-fetch-site']);
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw forbidden(`request from another site's page refused (Sec-Fetch-Site: ${site.slice(0, 20)})`);
  }
  const origin = one(req.headers.origin);
  if (origin !== undefined && (host === undefined || origin !== `http://${host}`)) {
    throw forbidden(`request from another origin's page refused (Origin: ${origin.slice(0, 100)})`);
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
