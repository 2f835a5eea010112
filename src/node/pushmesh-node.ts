import type { FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { type NodeConfig, formatHostPort, type HostPort } from '../config/index.js';
import { PushmeshError } from '../errors/index.js';
import { prepareHome, type HomeLock } from '../home/index.js';
import { PeerStore, cardFor, openIdentity } from '../identity/index.js';
import type { Card, Identity, NodeId } from '../identity/types.js';
import { HeldStore } from '../local/held-store.js';
import { LocalBus } from '../local/local-bus.js';
import { buildLocalApi } from '../local-api/server.js';
import { newMessageId, sealMessage, SenderMacKeys } from '../message/index.js';
import type { Message } from '../message/types.js';
import { NodeMetrics } from '../metrics/node-metrics.js';
import { OutboxDispatcher } from '../outbox/dispatcher.js';
import { OutboxStore, type EnqueueResult } from '../outbox/outbox-store.js';
import type { DeliveryPin, DeliveryResult, OutboxEntry } from '../outbox/types.js';
import { encodeWebpushMessage } from '../proto/index.js';
import { buildPushServer, pushServerTls } from '../push/push-server.js';
import type { ConfigChannel } from '../signed-config/channel.js';
import { CONFIG_TOPIC, MeshConfigRelay, SignedConfigService, TrustPolicy } from '../signed-config/index.js';
import { Inbox } from '../inbox/inbox.js';
import { HttpsInbox } from '../transport/https/https-inbox.js';
import type { Inbound, InboxResult } from '../inbox/types.js';
import { closeNodeStore, openNodeStore, type Db } from '../store/database.js';
import { storageHealthOf, type StorageHealth } from '../store/storage-health.js';
import { RefusalLog, errorSummary } from '../errors/refusal-log.js';
import { VapidSigner, VapidVerifier, WebPushDecrypter } from '../webpush/index.js';
import { RpcClient } from '../rpc/rpc-client.js';
import { RpcServer } from '../rpc/rpc-server.js';
import { RPC_REQUEST_TOPIC, RPC_RESPONSE_TOPIC, type RpcRequest, type RpcResponse } from '../rpc/types.js';
import { Receipts } from '../status/receipts.js';
import { StatusStore } from '../status/status-store.js';
import { RECEIPT_TOPIC, STATUS_TOPIC, type DeliveryStatus } from '../status/types.js';
import { isSystemTopic } from '../message/system-topic.js';
import { LinkManager } from '../links/link-manager.js';
import { SqliteAttachmentStore } from '../routing/sqlite-attachment-store.js';
import { ReceiptDeadlines } from '../status/receipt-deadlines.js';
import { MeshRouting, ROUTES_TOPIC } from '../routing/mesh-routing.js';
import type { RouteEntry } from '../routing/types.js';
import type { Fabric } from '../routing/fabric.js';
import { TransitPolicy } from '../routing/transit-policy.js';
import type { WebpushMessage } from '../message/types.js';
import { loadTrustCas } from '../transport/auth/trust-ca.js';
import { linkLimits } from '../transport/link-limits.js';
import { packageVersion } from '../util/package-version.js';
import type { X509Certificate } from 'node:crypto';
import { ReplayGuard } from '../inbox/replay-guard.js';
import { SystemTopics } from './system-topics.js';
import { PeerDirectory } from './peer-directory.js';
import type { NodeCore, PeerInfo, SendRequest, SendResult } from './types.js';

export { WEBPUSH_TOPIC } from '../inbox/inbox.js';

/** Addresses the node actually listens on (ports resolved when 0 was asked). */
export interface NodeAddresses {
  local: HostPort;
  https: HostPort | null;
  grpc: HostPort | null;
}

/** Strict order (deliveryWindow 1): attempts in flight to a healthy destination over one link (OutboxDispatcher). */
const ORDERED_PIPELINE = 256;

/** What a node is started with besides its config. */
export interface NodeStartOptions {
  /** Pipes that carry signed configs (NATS, Pub/Sub, in-memory); more with `node.signedConfig.addChannel`. */
  configChannels?: readonly ConfigChannel[];
  /**
   * Log "pushmesh node running" when `start` returns (default true).
   * `pushmesh run` says false and calls `announce()` once its backends
   * are up too, so nothing waiting for that line sees it before a start
   * that still fails.
   */
  announce?: boolean;
}

/**
 * A running pushmesh node: identity, local API, HTTPS Web Push endpoint,
 * durable outbox. `start()` opens everything; `drain()` stops taking new
 * work, finishes what is in flight and closes; `close()` stops now.
 */
export class PushmeshNode implements NodeCore {
  readonly config: NodeConfig;
  readonly identity: Identity;
  readonly bus: LocalBus;
  readonly metrics: NodeMetrics;
  /** Signed configuration: verify, keep, serve, publish (docs/signed-config.md). */
  readonly signedConfig: SignedConfigService;
  readonly #log: Logger;
  readonly #db: Db;
  /** Whether the store takes writes (docs/node.md "A full disk"). */
  readonly #storage: StorageHealth;
  readonly #outbox: OutboxStore;
  readonly #dispatcher: OutboxDispatcher;
  readonly #peers: PeerDirectory;
  readonly #signer: VapidSigner;
  readonly #verifier = new VapidVerifier();
  readonly #decrypter: WebPushDecrypter;
  /** What the node holds for its apps, on disk (docs/node.md "Held for the apps"). */
  readonly #held: HeldStore;
  /** Duplicates and stale copies, per proved sender (docs/security.md "Replay protection"). */
  readonly #replay: ReplayGuard;
  readonly #senderMac: SenderMacKeys;
  /** The one inbound path: links, HTTPS, backends (docs/security.md). */
  readonly #inbox: Inbox;
  /** HTTPS Web Push pushes, handed to the inbox; its answer is the HTTP status. */
  readonly #httpsInbox = new HttpsInbox({
    onPush: (p) => {
      void this.receive(p.inbound).then((r) => (r.kind === 'refused' ? p.nack(r.reason, r.error) : p.ack(r.kind === 'duplicate')));
    },
  });
  readonly #links: LinkManager;
  readonly #deliveredVia = new Map<string, 'link' | 'https'>();
  readonly #acceptedAt = new Map<string, number>();
  readonly #startedAt = Date.now();
  readonly #system: SystemTopics;
  readonly #rpcClient: RpcClient;
  readonly #rpcServer: RpcServer;
  readonly #status: StatusStore;
  readonly #deadlines: ReceiptDeadlines;
  readonly #receipts: Receipts;
  readonly #configRelay: MeshConfigRelay;
  readonly #mesh: MeshRouting;
  #localApi: FastifyInstance | null = null;
  #pushServer: FastifyInstance | null = null;
  #addresses: NodeAddresses | null = null;
  #advertise: string;
  #state: 'new' | 'running' | 'draining' | 'closed' = 'new';
  /** The last send() being sealed: the next one is accepted into the outbox after it (see send). */
  #sendOrder: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | null = null;
  /** The home folder's lock, released when the node has closed. */
  #lock: HomeLock | null = null;

  private constructor(config: NodeConfig, identity: Identity, logger: Logger, trust: TrustPolicy, opts: NodeStartOptions, trustCas: X509Certificate[]) {
    this.config = config;
    this.identity = identity;
    this.#log = logger;
    this.#advertise = config.advertise;
    this.#db = openNodeStore(config.home, { acceptLoss: config.acceptStoreLoss === true, warn: (fields, msg) => logger.warn({ component: 'store', ...fields }, msg) });
    this.#storage = storageHealthOf(this.#db);
    const storeLog = new RefusalLog(logger.child({ component: 'store' }));
    this.#storage.on('change', (ok, err) => {
      if (ok) logger.info({ component: 'store' }, 'store takes writes again: new work accepted');
      else storeLog.note('warn', 'storage_full', 'store cannot be written (disk full?): refusing new work until it can; retrying', { err: errorSummary(err) });
    });
    this.#replay = new ReplayGuard({
      db: this.#db,
      maxTotal: config.limits.replayEntries,
      maxPerSender: Math.min(config.limits.replayEntriesPerSender, config.limits.replayEntries),
      onError: (err) => storeLog.note('warn', 'replay_write', 'could not write the replay-protection state (kept in memory; written again later)', { err: errorSummary(err) }),
      // Recorded on disk only after the turn's messages are held: a crash in between must not leave a message "seen" but gone.
      schedule: (flush) => this.#held.afterCommit(flush),
    });
    this.#outbox = new OutboxStore(this.#db, { maxEntries: config.limits.maxQueuedMessages, maxBytes: config.limits.maxQueuedBytes, health: this.#storage });
    this.#held = new HeldStore({
      db: this.#db,
      maxMessages: config.limits.heldMessages,
      maxBytes: config.limits.heldBytes,
      maxPerTopic: config.limits.heldPerTopic,
      onDropped: (reason, n) => this.metrics?.dropped.inc({ reason: reason === 'limit' ? 'held_limit' : 'held_expired' }, n),
      onError: (err) => storeLog.note('warn', 'held_write', 'could not write messages held for the apps (their senders get no ACK and send them again)', { err: errorSummary(err) }),
    });
    this.bus = new LocalBus({ subscriberBuffer: config.limits.subscriberBuffer, store: this.#held });
    this.metrics = new NodeMetrics({ queueDepth: () => this.#outbox.depth(), subscribers: () => this.bus.subscriberCount });
    this.#peers = new PeerDirectory(new PeerStore(config.home));
    // Tokens that live 23 h and are renewed 11 h before they end: a message signed now keeps a token good for at least
    // 11 h, which is how long a relay can hold it (docs/routing.md "VAPID token life"); under RFC 8292's 24 h with room for clock skew.
    this.#signer = new VapidSigner({
      privateKey: identity.privateKey,
      publicKey: identity.publicKey,
      subject: `https://pushmesh.invalid/node/${identity.id}`,
      ttlSeconds: 23 * 3600,
      renewBeforeSeconds: 11 * 3600,
    });
    this.#decrypter = new WebPushDecrypter({ privateScalar: identity.privateScalar, publicKey: identity.publicKey, auth: identity.auth });
    this.#senderMac = new SenderMacKeys(identity.privateScalar, identity.publicKey);
    const peerCards = new PeerStore(config.home);
    const configRelay = new MeshConfigRelay({
      self: identity.id,
      peers: async () => (await peerCards.list()).map((c) => c.id),
      send: (req) => this.send(req),
      logger: logger.child({ component: 'signed-config' }),
    });
    this.#configRelay = configRelay;
    this.signedConfig = new SignedConfigService({
      identity,
      trust,
      db: this.#db,
      registry: this.metrics.registry,
      logger: logger.child({ component: 'signed-config' }),
      mesh: configRelay,
      channels: opts.configChannels ?? [],
    });
    this.#dispatcher = new OutboxDispatcher({ store: this.#outbox, deliver: (e, s, pin) => this.#deliver(e, s, pin), logger: logger.child({ component: 'outbox' }), perDestination: config.limits.deliveryWindow, orderedPipeline: ORDERED_PIPELINE, jumpHostNoRouteMs: (config.limits.jumpHostWait ?? 300) * 1000 });
    this.#status = new StatusStore(this.#db);
    this.#deadlines = new ReceiptDeadlines(this.#status);
    this.#receipts = new Receipts({ port: this, store: this.#status, logger: logger.child({ component: 'receipts' }) });
    this.#status.on('change', (st) => this.#announceStatus(st));
    this.bus.on('consumed', (ev) => this.#receipts.onConsumed(ev));
    this.#mesh = new MeshRouting({
      self: identity.id,
      key: { privateKey: identity.privateKey, publicKey: identity.publicKey },
      verifier: this.#verifier,
      linkTo: (peer) => this.#links.linkTo(peer),
      sendToPeer: async (peer, topic, value) => {
        await this.send({ to: peer, topic, data: { kind: 'json', value }, ttl: 600, urgency: 'high' });
      },
      hold: (target, wire, notAfter) => this.#hold(target, wire, notAfter),
      backlog: (target) => this.#outbox.depth(target) > 0,
      attachments: new SqliteAttachmentStore(this.#db),
      routesLearned: () => this.#dispatcher.wake(null),
      logger,
      registry: this.metrics.registry,
      routeLimits: config.routing,
      transit: new TransitPolicy({ peers: config.routing?.transitPeers ?? [], caSigned: (peer) => this.#links.linkTo(peer)?.peer.caSigned ?? false, lists: () => this.#links.policy }),
    });
    this.#links = new LinkManager({
      identity,
      card: () => this.card(),
      version: packageVersion(),
      home: config.home,
      trustCas,
      limits: linkLimits(),
      logger,
      registry: this.metrics.registry,
      signer: this.#signer,
      nextHop: (dest) => this.#mesh.nextHop(dest),
      onMessage: (m) => this.#inbox.onLink(m),
    });
    this.#inbox = new Inbox({
      self: identity.id,
      decrypter: this.#decrypter,
      verifier: this.#verifier,
      senderMac: this.#senderMac,
      replay: this.#replay,
      policy: () => this.#links.policy,
      deliver: (msg, via) => {
        this.metrics.messagesIn.inc({ via });
        if (msg.from !== '') {
          this.#peers.countReceived(msg.from, Date.now());
          this.#dispatcher.peerIsBack(msg.from); // it is reachable again: what waits for it goes now, not at its next retry
        }
        return this.#deliverLocal(msg);
      },
      relay: (m) => this.#mesh.relay(m),
      refused: (_via, r) => this.metrics.dropped.inc({ reason: r.reason }),
      logger: logger.child({ component: 'inbox' }),
    });
    // A link came up: what waits for that peer, or may be routed through it, goes now, not at its next retry.
    this.#links.on('up', (link) => {
      this.#mesh.linkUp(link);
      this.#dispatcher.wake(null);
    });
    this.#links.on('down', (link) => this.#mesh.linkDown(link));
    this.#dispatcher.on('delivered', (e) => {
      this.#status.update(e.id, 'sent');
      this.metrics.messagesOut.inc({ via: this.#deliveredVia.get(e.id) ?? 'https' });
      this.#deliveredVia.delete(e.id);
      this.#peers.countSent(e.dest);
      const t0 = this.#acceptedAt.get(e.id);
      if (t0 !== undefined) {
        this.metrics.deliveryLatency.observe((performance.now() - t0) / 1000);
        this.#acceptedAt.delete(e.id);
      }
    });
    this.#dispatcher.on('expired', (e) => {
      this.#status.update(e.id, 'expired');
      this.metrics.dropped.inc({ reason: 'expired' });
      this.#acceptedAt.delete(e.id);
      this.#log.info({ msg_id: e.id, dest: e.dest }, 'message expired before delivery');
    });
    this.#dispatcher.on('rejected', (e, reason) => {
      this.#status.update(e.id, 'rejected', reason);
      this.metrics.dropped.inc({ reason: 'rejected' });
      this.#acceptedAt.delete(e.id);
      this.#log.warn({ msg_id: e.id, dest: e.dest, reason }, 'message refused by destination');
    });
    this.#system = new SystemTopics((topic, err) => {
      this.metrics.dropped.inc({ reason: 'system_message' });
      this.#log.warn({ topic, reason: (err as Error).message }, 'could not handle a system message');
    });
    this.#rpcClient = new RpcClient(this);
    this.#rpcServer = new RpcServer({ port: this, service: config.service, logger: logger.child({ component: 'rpc' }) });
    this.#system.on(ROUTES_TOPIC, (m) => this.#mesh.onAnnouncement(m));
    this.#system.on(RECEIPT_TOPIC, (m) => this.#receipts.onReceipt(m));
    this.#system.on(CONFIG_TOPIC, (m) => this.#configRelay.receive(m));
    this.#system.on(RPC_REQUEST_TOPIC, (m) => this.#rpcServer.onRequest(m));
    this.#system.on(RPC_RESPONSE_TOPIC, (m) => {
      if (!this.#rpcClient.onResponse(m)) this.#log.debug({ from: m.from, re: m.meta['re'] }, 'answer for no waiting request');
    });
    this.#dispatcher.on('retry', (e, reason, delay) => this.#log.debug({ msg_id: e.id, dest: e.dest, reason, delay }, 'delivery failed; will retry'));
    this.bus.on('subscriberEnded', (_sub, reason) => {
      if (reason === 'slow consumer') {
        this.metrics.subscribersCut.inc({ reason: 'slow_consumer' });
        this.#log.warn({ reason }, 'local subscriber cut off: it fell too far behind');
      }
    });
  }

  /** Opens the identity (creating it on first start), the store and the listeners. */
  static async start(config: NodeConfig, logger: Logger, opts: NodeStartOptions = {}): Promise<PushmeshNode> {
    const trust = TrustPolicy.fromConfig(config.trust);
    const lock = await prepareHome(config.home, logger); // one node per home; modes checked (docs/configuration.md "Home folder")
    let node: PushmeshNode;
    try {
      const { identity, created } = await openIdentity(config.home);
      if (created) logger.info({ id: identity.id, home: config.home }, 'created a new node identity');
      node = new PushmeshNode(config, identity, logger, trust, opts, await loadTrustCas(config.trustCa));
    } catch (err) {
      lock.release();
      throw err;
    }
    node.#lock = lock;
    try {
      await node.#listen();
    } catch (err) {
      await node.close();
      throw err;
    }
    if (opts.announce !== false) node.announce();
    return node;
  }

  async #listen(): Promise<void> {
    await this.#peers.load((id, err) => this.#log.warn({ peer: id, reason: err.message }, 'ignoring an invalid peer card'));
    const cfg = this.config;
    this.#localApi = buildLocalApi({ core: this, logger: this.#log, maxRequestBody: cfg.limits.maxRequestBody, maxTtl: cfg.limits.maxTtl, signedConfig: this.signedConfig });
    await this.#links.start();
    const local = await listenOn(this.#localApi, cfg.local, 'local API');
    let https: HostPort | null = null;
    if (cfg.https) {
      this.#pushServer = buildPushServer({
        logger: this.#log,
        metrics: this.metrics,
        // Client certificates asked for (peer WebSockets), checked in code; no TLS session tickets unless httpsSessionTickets.
        tls: pushServerTls({ key: this.identity.privateKeyPem, cert: this.identity.certificatePem, sessionTickets: cfg.httpsSessionTickets }),
        isLocalNode: (id) => id === this.identity.id,
        accept: this.#httpsInbox.accept,
        origins: () => [this.#advertise],
        maxTtl: cfg.limits.maxTtl,
        card: () => this.card(),
      });
      this.#links.attachWebSocket(this.#pushServer.server as Server);
      https = await listenOn(this.#pushServer, cfg.https, 'HTTPS');
      if (!this.#advertise || cfg.https.port === 0) {
        // Port 0 (tests) or nothing advertised: the card names the address we actually got.
        const host = cfg.https.host === '0.0.0.0' || cfg.https.host === '::' ? (this.#advertise ? new URL(this.#advertise).hostname : '127.0.0.1') : cfg.https.host;
        this.#advertise = `https://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${https.port}`;
      }
    }
    const grpc = cfg.grpc ? await this.#links.listenGrpc(cfg.grpc.host, cfg.grpc.port) : null;
    this.#addresses = { local, https, grpc };
    this.#state = 'running';
    await this.signedConfig.start();
    this.#links.dial(cfg.peers);
    this.#dispatcher.kick(); // the store made everything queued due: a restart ends every backoff
  }

  /** Logs "pushmesh node running" with the node's ID, addresses and queue (info): the line scripts and supervisors wait for. */
  announce(): void {
    const cfg = this.config;
    const { local, https, grpc } = this.addresses;
    this.#log.info(
      {
        id: this.identity.id,
        local: formatHostPort(local),
        https: https ? formatHostPort(https) : 'off',
        grpc: grpc ? formatHostPort(grpc) : 'off',
        peers: cfg.peers.length,
        endpoint: this.card().endpoint,
        queued: this.#outbox.depth(),
      },
      'pushmesh node running',
    );
  }

  get addresses(): NodeAddresses {
    if (!this.#addresses) throw new Error('node not started');
    return this.#addresses;
  }

  card(): Card {
    // Only an endpoint the node really serves (or one configured with --advertise): none when HTTPS is off.
    return cardFor(this.identity, this.#advertise);
  }

  /** Live links first (one entry per link), then known peers without a link. */
  peers(): PeerInfo[] {
    const queued = this.#outbox.depthByDestination();
    const linked: PeerInfo[] = this.#links.list().map((l) => ({
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
    return [...linked, ...this.#peers.list(queued).filter((p) => !ids.has(p.id))];
  }

  async refreshPeers(): Promise<void> {
    await this.#peers.refresh((id, err) => this.#log.warn({ peer: id, reason: err.message }, 'ignoring an invalid peer card'));
  }

  queueDepth(): number {
    return this.#outbox.depth();
  }

  health(): { ok: boolean; [k: string]: unknown } {
    return {
      ok: this.#state === 'running',
      state: this.#state,
      id: this.identity.id,
      uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
      queueDepth: this.#outbox.depth(),
      store: this.#storage.writable ? { writable: true } : { writable: false, since: this.#storage.since, reason: this.#storage.error?.message },
      subscribers: this.bus.subscriberCount,
      links: [...this.#links.links()].length,
    };
  }

  async send(req: SendRequest): Promise<SendResult> {
    if (this.#state !== 'running') throw new PushmeshError('ERR_UNAVAILABLE', 'node is shutting down');
    const msg: Message = {
      id: newMessageId(),
      from: this.identity.id,
      to: req.to,
      topic: req.topic,
      time: Date.now(),
      ttl: req.ttl,
      urgency: req.urgency,
      meta: req.meta ?? {},
      data: req.data,
    };
    if (req.replace !== undefined) msg.replace = req.replace;
    if (req.receipt) msg.receipt = true;
    this.metrics.messagesIn.inc({ via: 'local' });
    if (req.to === '' || req.to === this.identity.id) {
      if (this.#system.dispatch(msg)) return { id: msg.id, status: 'local' };
      this.bus.publish(msg);
      this.metrics.messagesOut.inc({ via: 'local' });
      return { id: msg.id, status: 'local' };
    }
    // Accepted into the outbox in the order send() was called (an app's pipelined sends keep their order), whatever
    // each one waits for while it is sealed; the commit is not waited for here, so a turn's sends share it.
    const queued = this.#sendOrder.then(() => this.#sealAndAccept(msg, req));
    this.#sendOrder = queued.then(
      () => undefined,
      () => undefined,
    );
    let replaced: string | null;
    let expiresAt: number;
    const tracked = !isSystemTopic(msg.topic);
    try {
      const q = await queued;
      expiresAt = q.expiresAt;
      try {
        ({ replacedId: replaced } = await q.committed);
      } catch (err) {
        if (tracked) this.#status.forget(msg.id);
        throw err;
      }
    } catch (err) {
      if (err instanceof PushmeshError && err.code === 'ERR_QUEUE_FULL') this.metrics.dropped.inc({ reason: 'queue_full' });
      if (err instanceof PushmeshError && err.code === 'ERR_STORAGE_FULL') this.metrics.dropped.inc({ reason: 'storage_full' });
      throw err;
    }
    if (replaced !== null) this.#status.update(replaced, 'replaced', `replaced by ${msg.id}`);
    if (tracked && msg.receipt) this.#deadlines.watch(msg.id, expiresAt);
    this.#acceptedAt.set(msg.id, performance.now());
    if (this.#acceptedAt.size > 100_000) this.#acceptedAt.delete(this.#acceptedAt.keys().next().value!);
    this.#dispatcher.kick();
    return { id: msg.id, status: 'queued' };
  }

  /**
   * Seals `msg` for its destination and queues it in the outbox with its
   * `queued` status (both committed with the rest of the turn's writes:
   * `committed` settles after the commit). Throws what refuses it at once
   * (no card, a jump host it cannot reach, a full outbox).
   */
  async #sealAndAccept(msg: Message, req: SendRequest): Promise<{ committed: Promise<EnqueueResult>; expiresAt: number }> {
    const card = this.#links.cardOf(req.to) ?? (await this.#peers.card(req.to));
    if (!card) {
      this.metrics.dropped.inc({ reason: 'no_route' });
      throw new PushmeshError('ERR_NOT_FOUND', `no card for node ${req.to}: add it with "pushmesh peer add"`);
    }
    if (req.via?.length) {
      const why = await this.#jumpHostProblem(req.via);
      if (why) throw new PushmeshError('ERR_BAD_ARGUMENT', why);
    }
    const wire = await sealMessage(msg, card, this.#signer, { receipt: req.receipt ?? false, via: req.via ?? [], senderMac: this.#senderMac });
    // TTL 0 (RFC 8030 §5.2): one immediate attempt, no retries; the grace covers that attempt.
    const expiresAt = msg.time + (msg.ttl === 0 ? 10_000 : msg.ttl * 1000);
    const committed = this.#outbox.accept(
      { id: msg.id, dest: card.id, replace: msg.replace ?? null, urgency: msg.urgency, expiresAt, wire: encodeWebpushMessage(wire) },
      msg.time,
    );
    if (!isSystemTopic(msg.topic)) this.#status.create(msg.id, card.id, msg.receipt ?? false, expiresAt);
    return { committed, expiresAt };
  }

  /**
   * Why `POST /msg` refuses these jump hosts (400), or null (docs/routing.md
   * "Explicit jump hosts"): this node is one of them, or it has no way at
   * all to reach the first one — no link, no route of any kind (an upstream
   * counts), no card, and no `--peer` names it. A jump host it may reach
   * later (a card is known, a configured peer, a route to a node that is
   * away) is accepted; the outbox then gives up on it after
   * `limits.jumpHostWait` of `no_route`, without holding up the messages behind.
   */
  async #jumpHostProblem(via: readonly NodeId[]): Promise<string | null> {
    if (via.includes(this.identity.id)) return '"via" names this node';
    const first = via[0]!;
    if (this.#links.linkTo(first) || this.#mesh.table.lookup(first, null).kind !== 'none') return null;
    if (this.#links.dials(first) || this.#links.cardOf(first) || (await this.#peers.card(first))) return null;
    return `no way to reach jump host ${first}: no link, no route and no upstream, no card for it (pushmesh peer add), and no --peer names it`;
  }

  /**
   * A relayed message whose next hop is away now (or that has earlier ones
   * waiting for it): it waits here, on disk, until that node is back
   * (store-and-forward), within its TTL and its VAPID token's life.
   */
  async #hold(target: NodeId, wire: WebpushMessage, notAfter: number): Promise<void> {
    const now = Date.now();
    // Committed with the other writes of this turn (TurnWriter); the previous hop gets its ACK after the commit.
    await this.#outbox.accept(
      {
        id: wire.id,
        dest: target,
        // Replace keys are the origin's: one origin cannot replace another's messages.
        replace: wire.replace === '' ? null : `${wire.from}/${wire.replace}`,
        urgency: wire.urgency,
        expiresAt: Math.min(notAfter, now + (wire.ttl === 0 ? 10_000 : wire.ttl * 1000)),
        wire: encodeWebpushMessage(wire),
      },
      now,
    );
    this.#dispatcher.kick();
  }

  /** Relays through a shared fabric (NATS JetStream) from now on: messages it has no route for go there. */
  useFabric(fabric: Fabric): void {
    this.#mesh.useFabric(fabric);
  }

  /** This node's route table (`GET /routes`). */
  routes(): RouteEntry[] {
    return this.#mesh.list();
  }

  /** A message for this node, verified and new: to the node's own protocol handlers, or held for the apps (resolves once on disk). */
  async #deliverLocal(msg: Message): Promise<void> {
    if (this.#system.dispatch(msg)) return;
    await this.bus.deliver(msg);
    this.metrics.messagesOut.inc({ via: 'local' });
  }

  deliveryStatus(id: string): DeliveryStatus | undefined {
    return this.#status.get(id);
  }

  /** Final states reach the apps' streams as `pushmesh.status` events (docs/routing.md). */
  #announceStatus(st: DeliveryStatus): void {
    if (st.state === 'queued' || st.state === 'sent' || this.#state !== 'running') return;
    const data: Record<string, unknown> = { id: st.id, to: st.to, state: st.state, time: st.updated };
    if (st.reason !== undefined) data['reason'] = st.reason;
    this.bus.publish({ id: newMessageId(), from: this.identity.id, to: '', topic: STATUS_TOPIC, time: st.updated, ttl: 3600, urgency: 'normal', meta: { re: st.id }, data: { kind: 'json', value: data } });
  }

  get id(): NodeId {
    return this.identity.id;
  }

  request(to: NodeId, req: RpcRequest, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<RpcResponse> {
    if (this.#state !== 'running') return Promise.reject(new PushmeshError('ERR_UNAVAILABLE', 'node is shutting down'));
    return this.#rpcClient.request(to, req, opts);
  }

  /** One delivery attempt of an outbox entry: over a link to the destination if one is up, else HTTPS Web Push to its card. */
  async #deliver(entry: OutboxEntry, signal: AbortSignal, pin?: DeliveryPin): Promise<DeliveryResult> {
    const card = async (): Promise<Card | undefined> => this.#links.cardOf(entry.dest) ?? (await this.#peers.card(entry.dest));
    const { result, via } = await this.#links.deliver(entry, card, signal, pin);
    if (result.kind === 'delivered') this.#deliveredVia.set(entry.id, via);
    return result;
  }

  receive(inbound: Inbound): Promise<InboxResult> {
    if (this.#state !== 'running') return Promise.resolve({ kind: 'refused', reason: 'queue_full', error: new PushmeshError('ERR_UNAVAILABLE', 'node is shutting down') });
    return this.#inbox.accept(inbound);
  }

  /**
   * Stops taking new work (new requests get 503), ends app streams, lets
   * requests in flight and delivery attempts in flight finish, then closes.
   * Queued messages stay on disk for the next start.
   */
  drain(): Promise<void> {
    if (this.#stopping) return this.#stopping;
    this.#state = 'draining';
    this.bus.close();
    this.#stopping = (async () => {
      await this.#links.close({ drain: true });
      await Promise.allSettled([this.#localApi?.close(), this.#pushServer?.close()]);
      await this.signedConfig.drain();
      await this.#dispatcher.drain();
      this.#finish();
    })();
    return this.#stopping;
  }

  /** Stops now: cuts every connection, aborts deliveries in flight (they stay queued on disk). Also ends a drain that takes too long. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'draining';
    this.bus.close();
    this.signedConfig.close();
    for (const app of [this.#localApi, this.#pushServer]) app?.server.closeAllConnections();
    await this.#dispatcher.close();
    await this.#links.close();
    const stopping = this.#stopping ?? this.#finishAfter(Promise.allSettled([this.#localApi?.close(), this.#pushServer?.close()]));
    this.#stopping = stopping;
    await stopping;
  }

  async #finishAfter(p: Promise<unknown>): Promise<void> {
    await p;
    this.#finish();
  }

  #finish(): void {
    if (this.#state === 'closed') return;
    this.#mesh.close();
    this.#deadlines.close();
    this.#rpcClient.close();
    this.#rpcServer.close();
    this.#outbox.flush();
    this.#held.close();
    this.#replay.close();
    this.#storage.close();
    closeNodeStore(this.#db);
    this.#lock?.release();
    this.#state = 'closed';
    this.#log.info('pushmesh node stopped');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

async function listenOn(app: FastifyInstance, hp: HostPort, what: string): Promise<HostPort> {
  try {
    await app.listen({ host: hp.host, port: hp.port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const where = formatHostPort(hp);
    if (code === 'EADDRINUSE') throw new PushmeshError('ERR_LISTEN', `${what} address ${where} is already in use`, { cause: err });
    if (code === 'EACCES') throw new PushmeshError('ERR_LISTEN', `not allowed to listen on ${where} (${what})`, { cause: err });
    if (code === 'EADDRNOTAVAIL') throw new PushmeshError('ERR_LISTEN', `${what} address ${where} is not an address of this machine`, { cause: err });
    throw new PushmeshError('ERR_LISTEN', `cannot listen on ${where} (${what}): ${(err as Error).message}`, { cause: err });
  }
  const addr = app.server.address();
  if (addr && typeof addr === 'object') return { host: hp.host, port: addr.port };
  return hp;
}
