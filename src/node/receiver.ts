import type { Logger } from 'pino';
import { PushmeshError } from '../errors/index.js';
import type { NodeId } from '../identity/types.js';
import { Inbox } from '../inbox/inbox.js';
import type { ReplayGuard } from '../inbox/replay-guard.js';
import type { Inbound, InboxResult } from '../core/inbound.js';
import type { LinkManager } from '../links/link-manager.js';
import type { LocalBus } from '../bus/local-bus.js';
import type { SenderMacKeys } from '../message/index.js';
import type { Message } from '../message/types.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';
import type { OutboxDispatcher } from '../outbox/dispatcher.js';
import type { MeshRouting } from '../routing/mesh-routing.js';
import { HttpsInbox } from '../transport/https/https-inbox.js';
import type { InboundMessage } from '../transport/types.js';
import type { VapidVerifier, WebPushDecrypter } from '../webpush/index.js';
import type { PeerDirectory } from './peer-directory.js';
import type { SystemTopics } from './system-topics.js';

export interface ReceiverOptions {
  self: NodeId;
  /** False once the node stops: what arrives then is refused (the sender keeps it and tries again). */
  running: () => boolean;
  decrypter: WebPushDecrypter;
  verifier: VapidVerifier;
  senderMac: SenderMacKeys;
  replay: ReplayGuard;
  links: LinkManager;
  mesh: MeshRouting;
  dispatcher: OutboxDispatcher;
  peers: PeerDirectory;
  system: SystemTopics;
  bus: LocalBus;
  metrics: NodeMetrics;
  logger: Logger;
}

/**
 * The receive path: every message from outside — links, HTTPS Web Push
 * pushes, backends — goes through the one `Inbox` (docs/security.md "The
 * inbound path"); what is for this node goes to its protocol handlers or
 * is held for its apps, what is for another node to the mesh's relay.
 */
export class Receiver {
  readonly #o: ReceiverOptions;
  readonly #inbox: Inbox;
  /** HTTPS Web Push pushes, handed to the inbox; its answer is the HTTP status. */
  readonly https: HttpsInbox;

  constructor(opts: ReceiverOptions) {
    this.#o = opts;
    const { metrics, peers, dispatcher } = opts;
    this.#inbox = new Inbox({
      self: opts.self,
      decrypter: opts.decrypter,
      verifier: opts.verifier,
      senderMac: opts.senderMac,
      replay: opts.replay,
      policy: () => opts.links.policy,
      deliver: (msg, via) => {
        metrics.messagesIn.inc({ via });
        if (msg.from !== '') {
          peers.countReceived(msg.from, Date.now());
          dispatcher.peerIsBack(msg.from); // it is reachable again: what waits for it goes now, not at its next retry
        }
        return this.#deliverLocal(msg);
      },
      relay: (m) => opts.mesh.relay(m),
      refused: (_via, r) => metrics.dropped.inc({ reason: r.reason }),
      logger: opts.logger.child({ component: 'inbox' }),
    });
    this.https = new HttpsInbox({
      onPush: (p) => {
        void this.receive(p.inbound).then((r) => (r.kind === 'refused' ? p.nack(r.reason, r.error) : p.ack(r.kind === 'duplicate')));
      },
    });
  }

  /** A message that arrived on a peer link (answered with its ACK or NACK). */
  onLink(m: InboundMessage): Promise<void> {
    return this.#inbox.onLink(m);
  }

  receive(inbound: Inbound): Promise<InboxResult> {
    if (!this.#o.running()) return Promise.resolve({ kind: 'refused', reason: 'queue_full', error: new PushmeshError('ERR_UNAVAILABLE', 'node is shutting down') });
    return this.#inbox.accept(inbound);
  }

  /** A message for this node, verified and new: to the node's own protocol handlers, or held for the apps (resolves once on disk). */
  async #deliverLocal(msg: Message): Promise<void> {
    if (this.#o.system.dispatch(msg)) return;
    await this.#o.bus.deliver(msg);
    this.#o.metrics.messagesOut.inc({ via: 'local' });
  }
}
