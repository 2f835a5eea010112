import { PushmeshError } from '../errors/index.js';
import { isNodeId } from '../identity/node-id.js';
import type { Card, Identity, NodeId } from '../identity/types.js';
import { formatVip6, looksLikeIpv6, parseVip6, vip6Tail } from '../identity/vip6.js';
import type { LinkManager } from '../links/link-manager.js';
import type { MeshRouting } from '../routing/mesh-routing.js';
import { fromBase64Url } from '../util/base64url.js';
import type { PeerDirectory } from './peer-directory.js';

/** Where the nodes this node knows are listed: their IDs, and their cards when known. */
export interface KnownNodes {
  /** Every node ID with a chance of a known card: stored peers, linked peers, route destinations. */
  ids(): Promise<Iterable<NodeId>>;
  /** The card of `id` (from a link handshake or the peer store), if known. */
  card(id: NodeId): Promise<Card | undefined>;
}

/**
 * The node ID an address names: a full node ID as it is, or a VIP6
 * address (fd00::/64 + the last 8 bytes of the key, docs/local-api.md
 * "Addressing by VIP6") of this node or of a node whose card is known.
 * Never guessed: a VIP6 that no known key ends in is ERR_NOT_FOUND, one
 * that two known keys end in is ERR_BAD_ARGUMENT (give the node ID), a
 * malformed one ERR_BAD_ARGUMENT.
 */
export async function resolveNodeAddress(address: string, self: Identity, known: KnownNodes): Promise<NodeId> {
  if (isNodeId(address)) return address;
  if (!looksLikeIpv6(address)) throw new PushmeshError('ERR_BAD_ARGUMENT', `${JSON.stringify(String(address).slice(0, 64))} is neither a full 52-character node ID nor a VIP6 address (fd00::…)`);
  const tail = parseVip6(address);
  const shown = formatVip6(tail);
  const matches = new Set<NodeId>();
  if (vip6Tail(self.publicKey).equals(tail)) matches.add(self.id);
  for (const id of await known.ids()) {
    if (matches.has(id)) continue;
    const card = await known.card(id);
    if (card && keyTail(card)?.equals(tail)) matches.add(card.id);
  }
  const [first, second] = matches;
  if (first === undefined) {
    throw new PushmeshError('ERR_NOT_FOUND', `no known node has the VIP6 address ${shown}: add its card with "pushmesh peer add", or give its node ID`);
  }
  if (second !== undefined) {
    throw new PushmeshError('ERR_BAD_ARGUMENT', `the VIP6 address ${shown} is ambiguous: known nodes ${[...matches].sort().join(', ')} all end in its 8 key bytes; give the node ID`);
  }
  return first;
}

function keyTail(card: Card): Buffer | undefined {
  try {
    return vip6Tail(fromBase64Url(card.keys.p256dh));
  } catch {
    return undefined;
  }
}

/**
 * The nodes a running node knows, for resolveNodeAddress: stored peer
 * cards (read again, so a `pushmesh peer add` while running counts),
 * linked peers and route destinations, each with the card a link
 * handshake gave (live or remembered) or else the stored one.
 */
export function knownNodes(links: LinkManager, peers: PeerDirectory, mesh: MeshRouting): KnownNodes {
  return {
    ids: async () => new Set([...(await peers.storedIds()), ...[...links.links()].map((l) => l.peer.id), ...mesh.list().map((r) => r.dest)]),
    card: async (id) => links.cardOf(id) ?? (await peers.card(id)),
  };
}
