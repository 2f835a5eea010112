import { PushmeshError } from '../errors/index.js';
import { isNodeId } from '../identity/node-id.js';
import { PEER_WS_PATH } from '../transport/ws/subprotocol.js';
import type { PeerTarget } from '../transport/types.js';

/**
 * Parses a peer URL (DESIGN "Public surface"): `grpcs://[ID@]HOST:PORT`
 * or `wss://[ID@]HOST:PORT/ws`. With an ID, the peer must prove that
 * node's key. The port is required; IPv6 hosts go in brackets.
 * Anything else is ERR_CONFIG with the reason.
 */
export function parsePeerUrl(text: string): PeerTarget {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch (cause) {
    throw bad(text, 'not a URL', cause);
  }
  const transport = url.protocol === 'grpcs:' ? 'grpc' : url.protocol === 'wss:' ? 'wss' : null;
  if (!transport) throw bad(text, 'the scheme must be grpcs:// or wss://');
  if (url.password !== '') throw bad(text, 'a password is not allowed');
  if (url.search !== '' || url.hash !== '') throw bad(text, 'a query or fragment is not allowed');
  let id: string;
  try {
    id = decodeURIComponent(url.username);
  } catch (cause) {
    throw bad(text, 'the node ID is not valid', cause);
  }
  if (id !== '' && !isNodeId(id)) throw bad(text, `"${url.username.slice(0, 60)}" is not a full node ID (52 base32 characters)`);
  if (url.port === '') throw bad(text, 'the port is required');
  const path = transport === 'grpc' ? url.pathname.replace(/^\/$/, '') : url.pathname;
  if (transport === 'grpc' && path !== '') throw bad(text, 'a grpcs:// URL has no path');
  if (transport === 'wss' && path !== PEER_WS_PATH) throw bad(text, `the path must be ${PEER_WS_PATH}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw bad(text, 'the host is missing');
  return { transport, host, port: Number(url.port), ...(id ? { expectedId: id } : {}), url: text.trim() };
}

function bad(text: string, why: string, cause?: unknown): PushmeshError {
  return new PushmeshError('ERR_CONFIG', `peer URL ${JSON.stringify(text.slice(0, 200))}: ${why}`, cause === undefined ? undefined : { cause });
}
