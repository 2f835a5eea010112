import { PushmeshError } from '../errors/index.js';
import { isNodeId } from '../identity/node-id.js';
import type { PeerStore } from '../identity/peer-store.js';
import type { Card, Identity, NodeId } from '../identity/types.js';
import { formatVip6, looksLikeIpv6, parseVip6, vip6Tail } from '../identity/vip6.js';
import type { LinkManager } from '../links/link-manager.js';
import type { MeshRouting } from '../routing/mesh-routing.js';
import { fromBase64Url } from '../util/base64url.js';

/** The cards of the nodes this node knows. */
export interface KnownNodes {
  cards(): Promise<Iterable<Card>>;
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
  for (const card of await known.cards()) if (keyTail(card)?.equals(tail)) matches.add(card.id);
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
 * The nodes a running node knows, for resolveNodeAddress: the cards stored
 * in the home folder (read again, so a `pushmesh peer add` while running
 * counts), and the cards link handshakes gave (live or remembered) of the
 * linked peers and the route destinations.
 */
export function knownNodes(links: LinkManager, stored: PeerStore, mesh: MeshRouting): KnownNodes {
  return {
    cards: async () => {
      const cards = await stored.list();
      for (const id of new Set([...[...links.links()].map((l) => l.peer.id), ...mesh.list().map((r) => r.dest)])) {
        const card = links.cardOf(id);
        if (card) cards.push(card);
      }
      return cards;
    },
  };
}
