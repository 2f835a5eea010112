import type { Logger } from 'pino';
import type { NodeConfig } from '../config/index.js';
import type { SendRequest, SendResult } from '../core/index.js';
import type { Identity } from '../identity/types.js';
import type { LinkManager } from '../links/link-manager.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';
import type { OutboxDispatcher } from '../outbox/dispatcher.js';
import { MeshRouting } from '../routing/mesh-routing.js';
import { SqliteAttachmentStore } from '../routing/sqlite-attachment-store.js';
import { TransitPolicy } from '../routing/transit-policy.js';
import type { VapidVerifier } from '../webpush/index.js';
import type { NodeStore } from './node-store.js';
import { RelayHold } from './relay-hold.js';

/** What a node's mesh routing is built from. */
export interface NodeRoutingParts {
  identity: Identity;
  config: NodeConfig;
  verifier: Pick<VapidVerifier, 'verify'>;
  links: LinkManager;
  store: NodeStore;
  dispatcher: OutboxDispatcher;
  metrics: NodeMetrics;
  logger: Logger;
  /** The node's send: route messages (`pushmesh.*`, JSON) go to linked peers as any message does. */
  send: (req: SendRequest) => Promise<SendResult>;
}

/**
 * The node's mesh routing (docs/routing.md): routes learned from linked
 * peers (announcements sent as node messages), attachments kept in the
 * store, relayed messages held in the outbox while their next hop is away
 * (RelayHold), transit trusted per `routing.transitPeers`, the allow list
 * or a CA-signed link. A link that comes up wakes the outbox: what waits
 * for that peer, or may be routed through it, goes now, not at its next
 * retry.
 */
export function nodeRouting(o: NodeRoutingParts): MeshRouting {
  const { identity, config, links, store, dispatcher } = o;
  const relayHold = new RelayHold(store.outbox, dispatcher);
  const mesh = new MeshRouting({
    self: identity.id,
    key: { privateKey: identity.privateKey, publicKey: identity.publicKey },
    verifier: o.verifier,
    linkTo: (peer) => links.linkTo(peer),
    sendToPeer: async (peer, topic, value) => {
      await o.send({ to: peer, topic, data: { kind: 'json', value }, ttl: 600, urgency: 'high' });
    },
    hold: (target, wire, notAfter) => relayHold.hold(target, wire, notAfter),
    backlog: (target) => store.outbox.depth(target) > 0,
    attachments: new SqliteAttachmentStore(store.db),
    routesLearned: () => dispatcher.wake(null),
    logger: o.logger,
    registry: o.metrics.registry,
    routeLimits: config.routing,
    transit: new TransitPolicy({ peers: config.routing?.transitPeers ?? [], caSigned: (peer) => links.linkTo(peer)?.peer.caSigned ?? false, lists: () => links.policy }),
  });
  links.on('up', (link) => {
    mesh.linkUp(link);
    dispatcher.wake(null);
  });
  links.on('down', (link) => mesh.linkDown(link));
  return mesh;
}
