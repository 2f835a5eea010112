import type { ListenerOptions } from '../transport.js';
import type { PeerIdentity, TransportKind } from '../types.js';
import type { FrameChannel } from './frame-channel.js';
import { AdsServerLink } from './ads-server-link.js';

/**
 * What an ADS listener (gRPC, WebSocket) does with an authenticated peer's
 * channel: an AdsServerLink on it, kept in `links` while it lasts, handed
 * to `onLink` once its handshake is done.
 */
export function startServerLink(o: ListenerOptions, links: Set<AdsServerLink>, transport: TransportKind, channel: FrameChannel, peer: PeerIdentity): AdsServerLink {
  const link = new AdsServerLink({
    transport,
    channel,
    self: { id: o.self.id, card: o.self.card(), version: o.self.version },
    peer,
    limits: o.limits,
    logger: o.logger,
    ...(o.onMisbehavior ? { onMisbehavior: o.onMisbehavior } : {}),
  });
  links.add(link);
  void link.closed.then(() => links.delete(link));
  link.start();
  link.ready.then(
    () => o.onLink(link),
    () => undefined,
  );
  return link;
}
