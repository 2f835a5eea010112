import type { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import { formatHostPort, type HostPort, type NodeConfig } from '../config/index.js';
import { PushmeshError } from '../errors/index.js';
import { prepareHome } from '../home/index.js';
import { PeerStore, cardFor, openIdentity } from '../identity/index.js';
import type { Card, Identity, NodeId } from '../identity/types.js';
import type { Inbound, InboxResult } from '../core/inbound.js';
import { LinkManager } from '../links/link-manager.js';
import { parsePeerGroup } from '../links/peer-group.js';
import { LocalBus } from '../bus/local-bus.js';
import { NodeMetrics } from '../metrics/node-metrics.js';
import { OutboxDispatcher } from '../outbox/dispatcher.js';
import type { Fabric } from '../routing/fabric.js';
import { MeshRouting } from '../routing/mesh-routing.js';
import { SqliteAttachmentStore } from '../routing/sqlite-attachment-store.js';
import { TransitPolicy } from '../routing/transit-policy.js';
import type { RouteEntry } from '../core/route-entry.js';
import type { RpcClient } from '../rpc/rpc-client.js';
import { type RpcRequest, type RpcResponse } from '../core/rpc-exchange.js';
import { SignedConfigService, TrustPolicy } from '../signed-config/index.js';
import { XdsServer } from '../xds/index.js';
import { type DeliveryStatus } from '../core/delivery-status.js';
import { loadTrustCas } from '../transport/auth/trust-ca.js';
import { linkLimits } from '../transport/link-limits.js';
import { builtinTransports } from '../transport/registry.js';
import { packageVersion } from '../util/package-version.js';
import { refuseIgnoredBackends } from './backend-settings.js';
import { DeliveryBook } from './delivery-book.js';
import { Parts, type Part } from './lifecycle.js';
import { httpsPart, localApiPart, type ServerPart } from './listeners.js';
import { knownNodes, resolveNodeAddress } from './node-address.js';
import { reportCertificate } from './node-certificate.js';
import { nodeKeys } from './node-keys.js';
import { NodeStore } from './node-store.js';
import { PeerDirectory } from './peer-directory.js';
import { listPeers } from './peer-list.js';
import { NodeProtocols } from './protocols.js';
import { Receiver } from './receiver.js';
import { Reloader, type ReloadOutcome } from './reload.js';
import { RelayHold } from './relay-hold.js';
import { Sender } from './sender.js';
import { silentLogger } from './silent-logger.js';
import type { NodeAddresses, NodeStartOptions } from './start-options.js';
import type { NodeCore, PeerInfo, SendRequest, SendResult } from '../core/index.js';

export { WEBPUSH_TOPIC } from '../inbox/inbox.js';
export type { NodeAddresses, NodeStartOptions } from './start-options.js';

/** Strict order (deliveryWindow 1): attempts in flight to a healthy destination over one link (OutboxDispatcher). */
const ORDERED_PIPELINE = 256;

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
  /** The xDS server (docs/xds.md), when `xds.listen` is set. */
  readonly #xds: XdsServer | null;
  readonly #log: Logger;
  readonly #parts: Parts;
  readonly #store: NodeStore;
  readonly #dispatcher: OutboxDispatcher;
  readonly #peers: PeerDirectory;
  readonly #links: LinkManager;
  readonly #mesh: MeshRouting;
  readonly #sender: Sender;
  readonly #receiver: Receiver;
  readonly #rpcClient: RpcClient;
  readonly #reloader: Reloader;
  readonly #local: ServerPart;
  readonly #https: ServerPart | null;
  readonly #startedAt = Date.now();
  #grpc: HostPort | null = null;
  #advertise: string;
  #state: 'new' | 'running' | 'draining' | 'closed' = 'new';

  private constructor(config: NodeConfig, identity: Identity, logger: Logger, trust: TrustPolicy, opts: NodeStartOptions, trustCas: X509Certificate[], home: Part) {
    this.config = config;
    this.identity = identity;
    this.#log = logger;
    this.#advertise = config.advertise;
    const running = (): boolean => this.#state === 'running';
    const store = (this.#store = new NodeStore(config, logger, (reason, n) => this.metrics.dropped.inc({ reason: reason === 'limit' ? 'held_limit' : 'held_expired' }, n)));
    const bus = (this.bus = new LocalBus({ subscriberBuffer: config.limits.subscriberBuffer, store: store.held }));
    const metrics = (this.metrics = new NodeMetrics({ queueDepth: () => store.outbox.depth(), subscribers: () => bus.subscriberCount }));
    const peers = (this.#peers = new PeerDirectory(new PeerStore(config.home)));
    reportCertificate(identity, config, logger, metrics.registry);
    const { signer, verifier, decrypter, senderMac } = nodeKeys(identity, config.vapidSubject);
    const protocols = new NodeProtocols({ port: this, status: store.status, bus, metrics, logger, service: config.service, peers: () => peers.storedIds(), onAnnouncement: (m) => this.#mesh.onAnnouncement(m) });
    const { system, configRelay, deadlines } = protocols;
    this.#rpcClient = protocols.rpc;
    this.signedConfig = new SignedConfigService({ identity, trust, db: store.db, registry: metrics.registry, logger: logger.child({ component: 'signed-config' }), mesh: configRelay, channels: opts.configChannels ?? [] });
    this.#xds = config.xds ? new XdsServer({ ...config.xds, signedConfig: this.signedConfig, registry: metrics.registry, logger: logger.child({ component: 'xds' }), identifier: `pushmesh ${packageVersion()} ${identity.id}` }) : null;
    this.#links = new LinkManager({
      identity,
      card: () => this.card(),
      version: packageVersion(),
      home: config.home,
      trustCas,
      limits: linkLimits(),
      logger,
      registry: metrics.registry,
      signer,
      nextHop: (dest) => this.#mesh.nextHop(dest),
      onMessage: (m) => this.#receiver.onLink(m),
      transports: opts.transports ?? builtinTransports(),
    });
    const links = this.#links;
    this.#reloader = new Reloader({
      config,
      logger,
      registry: metrics.registry,
      accessLists: links.policy,
      setTrustCas: (cas) => (links.auth.trustCas = cas),
      setTrust: (t) => this.signedConfig.setTrust(t),
      running: () => this.#state === 'running',
    });
    const book = new DeliveryBook({ self: identity.id, links, peers, status: store.status, bus, metrics, logger, running });
    const dispatcher = (this.#dispatcher = new OutboxDispatcher({ store: store.outbox, deliver: (e, s, pin) => book.attempt(e, s, pin), logger: logger.child({ component: 'outbox' }), perDestination: config.limits.deliveryWindow, orderedPipeline: ORDERED_PIPELINE, jumpHostNoRouteMs: (config.limits.jumpHostWait ?? 300) * 1000 }));
    book.watch(dispatcher);
    const relayHold = new RelayHold(store.outbox, dispatcher);
    const mesh = (this.#mesh = new MeshRouting({
      self: identity.id,
      key: { privateKey: identity.privateKey, publicKey: identity.publicKey },
      verifier,
      linkTo: (peer) => this.#links.linkTo(peer),
      sendToPeer: async (peer, topic, value) => {
        await this.send({ to: peer, topic, data: { kind: 'json', value }, ttl: 600, urgency: 'high' });
      },
      hold: (target, wire, notAfter) => relayHold.hold(target, wire, notAfter),
      backlog: (target) => store.outbox.depth(target) > 0,
      attachments: new SqliteAttachmentStore(store.db),
      routesLearned: () => dispatcher.wake(null),
      logger,
      registry: metrics.registry,
      routeLimits: config.routing,
      transit: new TransitPolicy({ peers: config.routing?.transitPeers ?? [], caSigned: (peer) => this.#links.linkTo(peer)?.peer.caSigned ?? false, lists: () => this.#links.policy }),
    }));
    this.#receiver = new Receiver({ self: identity.id, running, decrypter, verifier, senderMac, replay: store.replay, links, mesh, dispatcher, peers, system, bus, metrics, logger });
    this.#sender = new Sender({ identity, running, system, bus, metrics, outbox: store.outbox, dispatcher, links, peers, mesh, signer, senderMac, status: store.status, deadlines, book });
    // A link came up: what waits for that peer, or may be routed through it, goes now, not at its next retry.
    links.on('up', (link) => {
      mesh.linkUp(link);
      dispatcher.wake(null);
    });
    links.on('down', (link) => mesh.linkDown(link));
    bus.on('subscriberEnded', (_sub, reason) => {
      if (reason !== 'slow consumer') return;
      metrics.subscribersCut.inc({ reason: 'slow_consumer' });
      logger.warn({ reason }, 'local subscriber cut off: it fell too far behind');
    });
    this.#local = localApiPart({ config, core: this, logger, bus, signedConfig: this.signedConfig });
    this.#https = !config.https
      ? null
      : httpsPart(config.https, {
          config,
          identity,
          logger,
          metrics,
          accept: this.#receiver.https.accept,
          origins: () => [this.#advertise],
          card: () => this.card(),
          hooks: { built: (server) => links.attachWebSocket(server), listening: (at) => this.#advertiseFrom(at) },
        });
    const logError = (part: string, step: string, err: unknown): void => logger.warn({ part, step, err }, 'a part of the node failed to stop cleanly');
    // The start order; drain and close run it backwards (docs/node.md "Parts of a node").
    this.#parts = new Parts(logError)
      .add(home)
      .add(store)
      .add(protocols)
      .add({ name: 'mesh routing', close: () => mesh.close() })
      .add({ name: 'outbox dispatcher', drain: () => dispatcher.drain(), close: () => dispatcher.close() })
      .add({ name: 'peer cards', start: () => peers.load((id, err) => logger.warn({ peer: id, reason: err.message }, 'ignoring an invalid peer card')), close: () => undefined })
      .add({ name: 'signed config', start: () => this.signedConfig.start(), drain: () => this.signedConfig.drain(), close: () => this.signedConfig.close() });
    if (this.#xds) this.#parts.add(this.#xds);
    this.#parts
      .add({ name: 'access lists', start: () => links.start(), close: () => undefined })
      .add(this.#local);
    if (this.#https) this.#parts.add(this.#https);
    this.#parts.add({
      name: 'links',
      start: async () => {
        if (config.grpc) this.#grpc = await links.listenGrpc(config.grpc.host, config.grpc.port);
        links.dial(config.peers);
      },
      drain: () => links.close({ drain: true }),
      close: () => links.close(),
    });
  }

  /**
   * Opens the identity (creating it on first start), the store, the
   * listeners and the links. Backends named in the config are started by
   * `startNode` (or by the caller: `backends: 'caller'`).
   */
  static async start(config: NodeConfig, logger?: Logger | null, opts: NodeStartOptions = {}): Promise<PushmeshNode> {
    const log = logger ?? opts.logger ?? silentLogger();
    refuseIgnoredBackends(config, opts.backends === 'caller');
    for (const entry of config.peers) parsePeerGroup(entry, opts.transports ?? builtinTransports()); // a bad peer URL is refused before anything opens
    const trust = TrustPolicy.fromConfig(config.trust);
    const lock = await prepareHome(config.home, log); // one node per home; modes checked (docs/configuration.md "Home folder")
    let node: PushmeshNode;
    try {
      const { identity, created } = await openIdentity(config.home, { certFile: config.certFile, checkCertificate: true });
      if (created) log.info({ id: identity.id, home: config.home }, 'created a new node identity');
      node = new PushmeshNode(config, identity, log, trust, opts, await loadTrustCas(config.trustCa), { name: 'home', close: () => lock.release() });
    } catch (err) {
      lock.release();
      throw err;
    }
    node.#state = 'running';
    try {
      await node.#parts.start();
    } catch (err) {
      node.#state = 'closed';
      throw err;
    }
    node.#dispatcher.kick(); // the store made everything queued due: a restart ends every backoff
    if (opts.announce !== false) node.announce();
    return node;
  }

  /** Port 0 (tests) or nothing advertised: the card names the HTTPS address actually got. */
  #advertiseFrom(at: HostPort): void {
    const https = this.config.https!;
    if (this.#advertise && https.port !== 0) return;
    const host = https.host === '0.0.0.0' || https.host === '::' ? (this.#advertise ? new URL(this.#advertise).hostname : '127.0.0.1') : https.host;
    this.#advertise = `https://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${at.port}`;
  }

  /**
   * A part started by its owner on this running node (a backend bridge, a
   * fabric): stopped with the node, before the part named `after` (default:
   * before every other part).
   */
  adopt(part: Part, after?: string): void {
    this.#parts.adopt(part, after);
  }

  /**
   * Logs "pushmesh node running" (info), the line scripts and supervisors
   * wait for: the node's ID, addresses, peers, queue, and what is connected
   * (`backends` and `fabric` as its starter says; the signed-config channels).
   */
  announce(connected: { backends?: readonly string[]; fabric?: boolean } = {}): void {
    const { local, https, grpc, xds } = this.addresses;
    const where = (hp: HostPort | null): string => (hp ? formatHostPort(hp) : 'off');
    const parts = { backends: connected.backends ?? [], fabric: connected.fabric ?? false, configChannels: this.signedConfig.channels };
    this.#log.info({ id: this.id, local: formatHostPort(local), https: where(https), grpc: where(grpc), xds: where(xds), peers: this.config.peers.length, endpoint: this.card().endpoint, queued: this.queueDepth(), ...parts }, 'pushmesh node running');
  }

  /**
   * Takes the settings `load` returns where they can change while the node
   * runs (trust, trust CA, log level; the allow/deny lists are read again);
   * others are reported as needing a restart. A failure changes nothing
   * (docs/node.md "Reload"). Links stay up.
   */
  reload(load: () => Promise<NodeConfig> | NodeConfig): Promise<ReloadOutcome> {
    return this.#reloader.reload(load);
  }

  get addresses(): NodeAddresses {
    if (this.#state === 'new') throw new Error('node not started');
    return { local: this.#local.address, https: this.#https?.address ?? null, grpc: this.#grpc, xds: this.#xds?.address ?? null };
  }

  get id(): NodeId {
    return this.identity.id;
  }

  card(): Card {
    // Only an endpoint the node really serves (or one configured with --advertise): none when HTTPS is off.
    return cardFor(this.identity, this.#advertise);
  }

  /** Live links first (one entry per link), then known peers without a link. */
  peers(): PeerInfo[] {
    return listPeers(this.#links, this.#peers, this.#store.outbox.depthByDestination());
  }

  async refreshPeers(): Promise<void> {
    await this.#peers.refresh((id, err) => this.#log.warn({ peer: id, reason: err.message }, 'ignoring an invalid peer card'));
  }

  queueDepth(): number {
    return this.#store.outbox.depth();
  }

  health(): { ok: boolean; [k: string]: unknown } {
    const storage = this.#store.storage;
    return {
      ok: this.#state === 'running',
      state: this.#state,
      id: this.id,
      uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
      queueDepth: this.queueDepth(),
      store: storage.writable ? { writable: true } : { writable: false, since: storage.since, reason: storage.error?.message },
      subscribers: this.bus.subscriberCount,
      links: [...this.#links.links()].length,
    };
  }

  send(req: SendRequest): Promise<SendResult> {
    return this.#sender.send(req);
  }

  receive(inbound: Inbound): Promise<InboxResult> {
    return this.#receiver.receive(inbound);
  }

  request(to: NodeId, req: RpcRequest, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<RpcResponse> {
    if (this.#state !== 'running') return Promise.reject(new PushmeshError('ERR_UNAVAILABLE', 'node is shutting down'));
    return this.#rpcClient.request(to, req, opts);
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
  async drain(): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#state === 'running') this.#state = 'draining';
    await this.#parts.drain();
    this.#stopped();
  }

  /** Stops now: cuts every connection, aborts deliveries in flight (they stay queued on disk). Also ends a drain that takes too long. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'draining';
    await this.#parts.close();
    this.#stopped();
  }

  #stopped(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#log.info('pushmesh node stopped');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
