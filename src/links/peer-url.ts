import { PushmeshError } from '../errors/index.js';
import { isNodeId } from '../identity/node-id.js';
import type { Transport } from '../transport/transport.js';
import type { PeerTarget } from '../transport/types.js';

/**
 * Parses a peer URL (DESIGN "Public surface") for the transports a node
 * has: the scheme picks the transport (`grpcs://[ID@]HOST:PORT`,
 * `wss://[ID@]HOST:PORT/ws`, `memory://[ID@]NAME` when given), which
 * checks the rest of its form. With an ID, the peer must prove that
 * node's key. Anything else is ERR_CONFIG with the reason, naming the
 * schemes known when the scheme is not one of them.
 */
export function parsePeerUrl(text: string, transports: readonly Transport[]): PeerTarget {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch (cause) {
    throw bad(text, 'not a URL', cause);
  }
  const transport = transports.find((t) => t.schemes.includes(url.protocol) && t.address && t.dialer);
  if (!transport) throw bad(text, `the scheme must be ${knownSchemes(transports)}`);
  if (url.password !== '') throw bad(text, 'a password is not allowed');
  if (url.search !== '' || url.hash !== '') throw bad(text, 'a query or fragment is not allowed');
  let id: string;
  try {
    id = decodeURIComponent(url.username);
  } catch (cause) {
    throw bad(text, 'the node ID is not valid', cause);
  }
  if (id !== '' && !isNodeId(id)) throw bad(text, `"${url.username.slice(0, 60)}" is not a full node ID (52 base32 characters)`);
  const address = transport.address!(url);
  if ('error' in address) throw bad(text, address.error);
  return { transport: transport.name, host: address.host, port: address.port, ...(id ? { expectedId: id } : {}), url: text.trim() };
}

/** `grpcs:// or wss://`: the schemes the transports dial. */
function knownSchemes(transports: readonly Transport[]): string {
  const schemes = transports.filter((t) => t.address && t.dialer).flatMap((t) => t.schemes.map((s) => `${s}//`));
  if (schemes.length === 0) return 'one a transport dials (this node has none)';
  return schemes.length === 1 ? schemes[0]! : `${schemes.slice(0, -1).join(', ')} or ${schemes[schemes.length - 1]}`;
}

function bad(text: string, why: string, cause?: unknown): PushmeshError {
  return new PushmeshError('ERR_CONFIG', `peer URL ${JSON.stringify(text.slice(0, 200))}: ${why}`, cause === undefined ? undefined : { cause });
}
