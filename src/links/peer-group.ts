import { PushmeshError } from '../errors/index.js';
import type { Transport } from '../transport/transport.js';
import type { PeerTarget } from '../transport/types.js';
import { parsePeerUrl } from './peer-url.js';

/** Separates alternatives in one peer entry: `grpcs://R1@h1:15007|grpcs://R2@h2:15007`. */
export const PEER_ALTERNATIVES_SEPARATOR = '|';

/** Most alternatives one peer entry may list. */
export const MAX_PEER_ALTERNATIVES = 16;

/**
 * One `--peer` entry (docs/configuration.md, "Peers"): a single peer URL,
 * or several separated by `|` — alternatives of which the node keeps ONE
 * link up, to the first that answers in the order given (relay failover).
 * `|` never occurs in a valid peer URL, so a single URL parses as before.
 * ERR_CONFIG for an empty alternative, a bad URL, the same URL twice, or
 * more than MAX_PEER_ALTERNATIVES. `transports`: the node's, whose schemes it dials.
 */
export function parsePeerGroup(text: string, transports: readonly Transport[]): PeerTarget[] {
  const parts = text.split(PEER_ALTERNATIVES_SEPARATOR);
  if (parts.length > MAX_PEER_ALTERNATIVES) throw bad(text, `more than ${MAX_PEER_ALTERNATIVES} alternatives`);
  if (parts.length > 1 && parts.some((p) => p.trim() === '')) throw bad(text, 'an alternative is empty');
  const targets = parts.map((p) => parsePeerUrl(p, transports));
  const urls = new Set(targets.map((t) => t.url));
  if (urls.size !== targets.length) throw bad(text, 'the same URL is listed twice');
  return targets;
}

function bad(text: string, why: string): PushmeshError {
  return new PushmeshError('ERR_CONFIG', `peer ${JSON.stringify(text.slice(0, 200))}: ${why}`);
}
