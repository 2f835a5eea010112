import type { Logger } from 'pino';
import { LocalBus } from '../bus/local-bus.js';
import type { NodeConfig } from '../config/index.js';
import type { DeliveryStatus, Inbound, InboxResult, NodeCore, PeerInfo, RouteEntry, RpcRequest, RpcResponse, SendRequest, SendResult } from '../core/index.js';
import { PushmeshError } from '../errors/index.js';
import { PeerStore, cardFor } from '../identity/index.js';
import type { Card, Identity, NodeId } from '../identity/types.js';
import type { LinkManager } from '../links/link-manager.js';
import { NodeMetrics } from '../metrics/node-metrics.js';
import type { OutboxDispatcher } from '../outbox/dispatcher.js';
import type { Fabric } from '../routing/fabric.js';
import type { MeshRouting } from '../routing/mesh-routing.js';
import { SignedConfigService, type TrustPolicy } from '../signed-config/index.js';
import { packageVersion } from '../util/package-version.js';
import { XdsServer } from '../xds/index.js';
import { AdvertisedEndpoint } from './advertised-endpoint.js';
import { NodeLife, type Part } from './lifecycle.js';
import { httpsPart, localApiPart, NodeListeners } from './listeners.js';
import { knownNodes, resolveNodeAddress } from './node-address.js';
import { NodeCertificate } from './node-certificate.js';
import { NodeHealth } from './node-health.js';
import { nodeKeys } from './node-keys.js';
import { linksPart, nodeLinks } from './node-links.js';
import { openHome, type OpenedHome } from './node-opening.js';
import { nodeOutbox } from './node-outbox.js';
import { nodeRouting } from './node-routing.js';
import { NodeStore } from './node-store.js';
import { PeerDirectory } from './peer-directory.js';
import { listPeers } from './peer-list.js';
import { NodeProtocols } from './protocols.js';
import { Receiver } from './receiver.js';
import { Reloader, type ReloadOutcome } from './reload.js';
import { Sender } from './sender.js';
import { runningLine } from './running-line.js';
import { silentLogger } from './silent-logger.js';
import type { NodeAddresses, NodeStartOptions } from './start-options.js';

export { WEBPUSH_TOPIC } from '../inbox/inbox.js';
export type { NodeAddresses, NodeStartOptions } from './start-options.js';

/**
 * A running pushmesh node, assembled from its parts (docs/node.md "Parts of a
 * node"): the store, the send path (`Sender`), the receive path
 * (`Receiver`, the one inbox), delivery bookkeeping (`DeliveryBook`),
 * relay holding, mesh routing, signed config, the link manager and the
 * servers. `start()` starts the parts in the order declared below;
 * `drain()` stops taking new work, finishes what is in flight and stops
 * them in reverse; `close()` stops them now.
 */
export class PushmeshNode implements NodeCore {
  readonly config: NodeConfig;
  readonly identity: Identity;
  readonly bus: LocalBus;
  readonly metrics: NodeMetrics;
  /** Signed configuration: verify, keep, serve, publish (docs/signed-config.md). */
  readonly signedConfig: SignedConfigService;
  readonly #log: Logger;
  readonly #life: NodeLife;
  readonly #store: NodeStore;
  readonly #dispatcher: OutboxDispatcher;
  readonly #peers: PeerDirectory;
  readonly #links: LinkManager;
  readonly #mesh: MeshRouting;
  readonly #sender: Sender;
  readonly #receiver: Receiver;
  readonly #reloader: Reloader;
  readonly #protocols: NodeProtocols;
  readonly #health: NodeHealth;
  readonly #advertise: AdvertisedEndpoint;
  readonly #listeners: NodeListeners;

  private constructor(config: NodeConfig, logger: Logger, opts: NodeStartOptions, { identity, trust, trustCas, home }: OpenedHome) {
    this.config = config;
    this.identity = identity;
    this.#log = logger;
    const running = (): boolean => this.#life.running;
    const advertise = (this.#advertise = new AdvertisedEndpoint(config.advertise, config.https));
    const store = (this.#store = new NodeStore(config, logger, (reason, n) => this.metrics.dropped.inc({ reason: reason === 'limit' ? 'held_limit' : 'held_expired' }, n)));
    const bus = (this.bus = new LocalBus({ subscriberBuffer: config.limits.subscriberBuffer, store: store.held }));
    const metrics = (this.metrics = new NodeMetrics({ queueDepth: () => store.outbox.depth(), subscribers: () => bus.subscriberCount }));
    const peers = (this.#peers = new PeerDirectory(new PeerStore(config.home), { logger }));
    const certificate = new NodeCertificate(identity, config, logger, metrics.registry);
    const { signer, verifier, decrypter, senderMac } = nodeKeys(identity, config.vapidSubject);
    const protocols = (this.#protocols = new NodeProtocols({ port: this, status: store.status, bus, metrics, logger, service: config.service, peers: () => peers.storedIds(), onAnnouncement: (m) => this.#mesh.onAnnouncement(m) }));
    const { system, configRelay, deadlines } = protocols;
    const signedConfig = (this.signedConfig = new SignedConfigService({ identity, trust, db: store.db, registry: metrics.registry, logger: logger.child({ component: 'signed-config' }), mesh: configRelay, channels: opts.configChannels ?? [] }));
    // The xDS server (docs/xds.md), when `xds.listen` is set.
    const xds = config.xds ? new XdsServer({ ...config.xds, signedConfig, registry: metrics.registry, logger: logger.child({ component: 'xds' }), identifier: `pushmesh ${packageVersion()} ${identity.id}` }) : null;
    const links = (this.#links = nodeLinks({ identity, config, trustCas, signer, metrics, logger, transports: opts.transports, card: () => this.card(), nextHop: (dest) => this.#mesh.nextHop(dest), onMessage: (m) => this.#receiver.onLink(m) }));
    // A new trust list can forget kept configs without a config update: the xDS snapshot is built again at once (docs/xds.md).
    const setTrust = (t: TrustPolicy): Promise<void> => signedConfig.setTrust(t).then(() => xds?.refresh());
    this.#reloader = new Reloader({ config, logger, registry: metrics.registry, accessLists: links.policy, setTrustCas: (cas) => (links.auth.trustCas = cas), setTrust, running });
    const { book, dispatcher } = nodeOutbox(config, store, { self: identity.id, links, peers, bus, metrics, logger, running });
    this.#dispatcher = dispatcher;
    const mesh = (this.#mesh = nodeRouting({ identity, config, verifier, links, store, dispatcher, metrics, logger, send: (req) => this.send(req) }));
    this.#receiver = new Receiver({ self: identity.id, running, decrypter, verifier, senderMac, replay: store.replay, links, mesh, dispatcher, peers, system, bus, metrics, logger });
    this.#sender = new Sender({ identity, running, system, bus, metrics, outbox: store.outbox, dispatcher, links, peers, mesh, signer, senderMac, status: store.status, deadlines, book });
    this.#health = new NodeHealth({ state: () => this.#life.state, id: identity.id, startedAt: Date.now(), store, bus, links, certificate });
    const https = config.https ? httpsPart(config.https, { config, identity, logger, metrics, accept: this.#receiver.https.accept, advertise, card: () => this.card(), links }) : null;
    const listeners = (this.#listeners = new NodeListeners(localApiPart({ config, core: this, logger, bus, metrics, signedConfig }), https, xds));
    // The start order; drain and close run it backwards (docs/node.md "Parts of a node"). null: a part this node does not have.
    this.#life = new NodeLife(logger, [
      home,
      certificate,
      store,
      protocols,
      { name: 'mesh routing', close: () => mesh.close() },
      { name: 'outbox dispatcher', drain: () => dispatcher.drain(), close: () => dispatcher.close() },
      peers,
      { name: 'signed config', start: () => signedConfig.start(), drain: () => signedConfig.drain(), close: () => signedConfig.close() },
      xds,
      { name: 'access lists', start: () => links.start(), close: () => undefined },
      listeners.local,
      listeners.https,
      linksPart(links, config, (at) => (listeners.grpc = at)),
    ]);
  }

  /**
   * Opens the identity (creating it on first start), the store, the
   * listeners and the links. Backends named in the config are started by
   * `startNode` (or by the caller: `backends: 'caller'`).
   */
  static async start(config: NodeConfig, logger?: Logger | null, opts: NodeStartOptions = {}): Promise<PushmeshNode> {
    const log = logger ?? opts.logger ?? silentLogger();
    const opened = await openHome(config, log, opts);
    let node: PushmeshNode;
    try {
      node = new PushmeshNode(config, log, opts, opened);
    } catch (err) {
      await opened.home.close();
      throw err;
    }
    await node.#life.start();
    node.#dispatcher.kick(); // the store made everything queued due: a restart ends every backoff
    if (opts.announce !== false) node.announce();
    return node;
  }

  /**
   * A part started by its owner on this running node (a backend bridge, a
   * fabric): stopped with the node, before the part named `after` (default:
   * before every other part).
   */
  adopt(part: Part, after?: string): void {
    this.#life.parts.adopt(part, after);
  }

  /**
   * Logs "pushmesh node running" (info), the line scripts and supervisors wait for (running-line.ts),
   * with what is connected: `backends` and `fabric` as its starter says, the signed-config channels.
   */
  announce(connected: { backends?: readonly string[]; fabric?: boolean } = {}): void {
    const node = { id: this.id, peers: this.config.peers.length, endpoint: this.card().endpoint, queued: this.queueDepth(), configChannels: this.signedConfig.channels };
    this.#log.info(runningLine(node, this.addresses, connected), 'pushmesh node running');
  }

  /**
   * Takes the live settings `load` returns (trust, trust CA, log level; the allow/deny lists are read again);
   * others are reported as needing a restart. A failure changes nothing; links stay up (docs/node.md "Reload").
   */
  reload(load: () => Promise<NodeConfig> | NodeConfig): Promise<ReloadOutcome> {
    return this.#reloader.reload(load);
  }

  get addresses(): NodeAddresses {
    if (this.#life.state === 'new') throw new Error('node not started');
    return this.#listeners.addresses;
  }

  get id(): NodeId {
    return this.identity.id;
  }

  card(): Card {
    // Only an endpoint the node really serves (or one configured with --advertise): none when HTTPS is off.
    return cardFor(this.identity, this.#advertise.url);
  }

  /** Live links first (one entry per link), then known peers without a link. */
  peers(): PeerInfo[] {
    return listPeers(this.#links, this.#peers, this.#store.outbox.depthByDestination());
  }

  refreshPeers(): Promise<void> {
    return this.#peers.refresh();
  }

  queueDepth(): number {
    return this.#store.outbox.depth();
  }

  health(): { ok: boolean; [k: string]: unknown } {
    return this.#health.report();
  }

  send(req: SendRequest): Promise<SendResult> {
    return this.#sender.send(req);
  }

  receive(inbound: Inbound): Promise<InboxResult> {
    return this.#receiver.receive(inbound);
  }

  request(to: NodeId, req: RpcRequest, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<RpcResponse> {
    if (!this.#life.running) return Promise.reject(new PushmeshError('ERR_UNAVAILABLE', 'node is shutting down'));
    return this.#protocols.rpc.request(to, req, opts);
  }

  resolveNode(address: string): Promise<NodeId> {
    return resolveNodeAddress(address, this.identity, knownNodes(this.#links, new PeerStore(this.config.home), this.#mesh));
  }

  deliveryStatus(id: string): DeliveryStatus | undefined {
    return this.#store.status.get(id);
  }

  recentStatuses(limit: number): DeliveryStatus[] {
    return this.#store.status.recent(limit);
  }

  /** Relays through a shared fabric (NATS JetStream) from now on: messages it has no route for go there. */
  useFabric(fabric: Fabric): void {
    this.#mesh.useFabric(fabric);
  }

  /** This node's route table (`GET /routes`). */
  routes(): RouteEntry[] {
    return this.#mesh.list();
  }

  /**
   * Stops taking new work (new requests get 503), lets links, requests and
   * delivery attempts in flight finish, ends the apps' streams, then
   * closes. Queued messages stay on disk for the next start.
   */
  drain(): Promise<void> {
    return this.#life.drain();
  }

  /** Stops now: cuts every connection, aborts deliveries in flight (they stay queued on disk). Also ends a drain that takes too long. */
  close(): Promise<void> {
    return this.#life.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
