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
  /**
   * Nodes known only by their ID (route destinations with no card here):
   * their VIP6 cannot be known, as it comes from the key, which the ID
   * (a hash of it) does not give back. Named in the not-found error.
   */
  withoutCard?(): Promise<readonly NodeId[]>;
}

/**
 * The node ID an address names: a full node ID as it is, or a VIP6
 * address (fd00::/64 + the last 8 bytes of the key, docs/local-api.md
 * "Addressing by VIP6") of this node or of a node whose card is known.
 * Never guessed: a VIP6 that no known key ends in is ERR_NOT_FOUND, one
 * that two known keys end in is ERR_BAD_ARGUMENT (give the node ID), a
 * malformed one ERR_BAD_ARGUMENT. When nodes reached only by a route
 * (no card) are known, the not-found error says that their VIP6 cannot be
 * resolved and how many there are.
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
    const idOnly = (await known.withoutCard?.()) ?? [];
    if (idOnly.length === 0) throw new PushmeshError('ERR_NOT_FOUND', `no known node has the VIP6 address ${shown}: add its card with "pushmesh peer add", or give its node ID`);
    const nodes = idOnly.length === 1 ? `1 node reached by a route (${idOnly[0]}) has` : `${idOnly.length} nodes reached by a route (GET /routes) have`;
    throw new PushmeshError(
      'ERR_NOT_FOUND',
      `no known node has the VIP6 address ${shown}; ${nodes} no card here, and a VIP6 address comes from the key on a card, not from the node ID: add the card with "pushmesh peer add" (a message to a node needs its card anyway)`,
    );
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
 * linked peers and the route destinations; the route destinations with no
 * card (`withoutCard`). For one resolution: the cards are read once.
 */
export function knownNodes(links: LinkManager, stored: PeerStore, mesh: MeshRouting): KnownNodes {
  let listed: Promise<Card[]> | null = null;
  const cards = (): Promise<Card[]> =>
    (listed ??= (async () => {
      const found = await stored.list();
      for (const id of new Set([...[...links.links()].map((l) => l.peer.id), ...mesh.list().map((r) => r.dest)])) {
        const card = links.cardOf(id);
        if (card) found.push(card);
      }
      return found;
    })());
  return {
    cards,
    withoutCard: async () => {
      const carded = new Set((await cards()).map((c) => c.id));
      // Route destinations that are node IDs (an upstream route's `*` names none) and have no card.
      return [...new Set(mesh.list().map((r) => r.dest))].filter((id) => isNodeId(id) && !carded.has(id)).sort();
    },
  };
}
