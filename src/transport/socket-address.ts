import type { PeerAddress } from './transport.js';

/**
 * The host and port of a peer URL of a socket transport (gRPC, WebSocket):
 * the port is required, the path must be `path`, IPv6 hosts come without
 * their brackets.
 */
export function socketAddress(url: URL, path: string, wrongPath: string): PeerAddress {
  if (url.port === '') return { error: 'the port is required' };
  if (url.pathname.replace(/^\/$/, '') !== path) return { error: wrongPath };
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return { error: 'the host is missing' };
  return { host, port: Number(url.port) };
}
