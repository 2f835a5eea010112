import type { PeerInfo } from '../core/index.js';
import type { LinkManager } from '../links/link-manager.js';
import type { PeerDirectory } from './peer-directory.js';

/** What `GET /peers` lists: live links first (one entry per link), then known peers without a link. */
export function listPeers(links: LinkManager, directory: PeerDirectory, queued: Map<string, number>): PeerInfo[] {
  const linked: PeerInfo[] = links.list().map((l) => ({
    id: l.id,
    transport: l.transport,
    endpoint: l.url ?? l.address,
    connected: true,
    since: l.since,
    queued: queued.get(l.id) ?? 0,
    sent: l.acked,
    received: l.received,
    direction: l.direction,
    address: l.address,
    nacked: l.nacked,
    refused: l.refused,
    inFlight: l.inFlight,
  }));
  const ids = new Set(linked.map((p) => p.id));
  return [...linked, ...directory.list(queued).filter((p) => !ids.has(p.id))];
}
