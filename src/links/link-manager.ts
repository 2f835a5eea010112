import { EventEmitter } from 'node:events';
import type { X509Certificate } from 'node:crypto';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { LRUCache } from 'lru-cache';
import { isPushmeshError, PushmeshError } from '../errors/index.js';
import type { Card, Identity, NodeId } from '../identity/types.js';
import { linkAudience } from '../message/link-audience.js';
import type { MessageSigner } from '../message/seal.js';
import type { OutboxEntry } from '../outbox/types.js';
import type { DeliveryPin, DeliveryResult } from '../core/delivery.js';
import { decodeWebpushMessage, encodeWebpushMessage } from '../proto/webpush-message.js';
import { AccessPolicy } from '../transport/auth/access-policy.js';
import { PeerAuthenticator } from '../transport/auth/peer-authenticator.js';
import { flowKey } from '../transport/flow-key.js';
import type { LinkLimits } from '../transport/link-limits.js';
import type { ListenPlace, Pusher, Transport, TransportOptions } from '../transport/transport.js';
import type { Dialer, InboundMessage, Link, Listener, MisbehaviorKind, SendOutcome, TransportKind } from '../transport/types.js';
import { DialLoop } from './dial-loop.js';
import { FlowLanes } from './flow-lanes.js';
import { LinkMetrics } from './link-metrics.js';
import { parsePeerGroup } from './peer-group.js';
import type { LinkInfo } from './types.js';

/** Messages of one link handled at once (across flows; one flow is handled in order, one at a time). */
const FLOWS_IN_FLIGHT = 64;

export interface LinkManagerOptions {
  identity: Identity;
  /** This node's card (read each time a handshake needs it). */
  card: () => Card;
  version: string;
  home: string;
  trustCas: readonly X509Certificate[];
  limits: LinkLimits;
  logger: Logger;
  registry: Registry;
  /** Signs this node's messages for an HTTPS endpoint's origin. */
  signer: MessageSigner;
  /**
   * The node's transports (src/transport/registry.ts `builtinTransports()`,
   * plus e.g. the memory transport in tests): peer URLs are dialed by the
   * one whose scheme they have, cards' endpoints pushed to by the one whose
   * push scheme they have. Names must differ.
   */
  transports: readonly Transport[];
  /** The linked peer to hand a message for `dest` to when there is no link to `dest` (mesh routing). */
  nextHop?: (dest: NodeId) => NodeId | undefined;
  /** Handles a message that arrived on a link; must answer it (ack or nack). */
  onMessage: (m: InboundMessage) => Promise<void>;
}

export interface LinkManagerEvents {
  up: [link: Link];
  down: [link: Link];
}

/**
 * Every peer link of a node, whatever its transport: accepts them (each
 * transport that listens, at its kind of place), dials the configured
 * peers and keeps those links up, authorizes peers (and re-checks live
 * links when the allow/deny lists change), feeds incoming messages to the
 * node, and delivers outgoing ones — over a link to the destination when
 * there is one, else pushed to its card's endpoint (HTTPS Web Push). It
 * knows transports only by the plug-in contract (src/transport/transport.ts).
 */
export class LinkManager extends EventEmitter<LinkManagerEvents> {
  readonly auth: PeerAuthenticator;
  readonly metrics: LinkMetrics;
  readonly #o: LinkManagerOptions;
  readonly #log: Logger;
  readonly #policy: AccessPolicy;

  /** The deny/allow lists (peers.deny, peers.allow), read again when they change. */
  get policy(): AccessPolicy {
    return this.#policy;
  }
  readonly #links = new Map<NodeId, Link[]>();
  readonly #loops: DialLoop[] = [];
  readonly #transports: readonly Transport[];
  /** Each dialing transport's dialer, by transport name. */
  readonly #dialers = new Map<TransportKind, Dialer>();
  /** Each pushing transport's pusher, by endpoint scheme (`https:`). */
  readonly #pushers = new Map<string, Pusher>();
  /** Listeners started (or starting). */
  readonly #listeners: Array<Promise<Listener>> = [];
  readonly #pushLinks: LRUCache<NodeId, Link>;
  /** Cards learned from link handshakes, kept after the link goes (messages queued for the peer still need its keys). */
  readonly #learnedCards = new LRUCache<NodeId, Card>({ max: 10_000 });
  #closing = false;

  constructor(opts: LinkManagerOptions) {
    super();
    this.#o = opts;
    this.#log = opts.logger.child({ component: 'links' });
    this.#policy = new AccessPolicy(opts.home, this.#log);
    this.auth = new PeerAuthenticator({
      selfId: opts.identity.id,
      tls: { key: opts.identity.privateKeyPem, cert: opts.identity.certificatePem },
      trustCas: opts.trustCas,
      policy: this.#policy,
    });
    this.metrics = new LinkMetrics(opts.registry, () => this.links());
    this.#transports = opts.transports;
    const names = new Set(opts.transports.map((t) => t.name));
    if (names.size !== opts.transports.length) throw new PushmeshError('ERR_CONFIG', 'two transports of a node have the same name');
    const common = this.#transportOptions();
    for (const t of opts.transports) {
      if (t.dialer) this.#dialers.set(t.name, t.dialer(common));
      if (t.pusher) {
        const pusher = t.pusher({ self: { id: opts.identity.id }, signer: opts.signer, limits: opts.limits, logger: this.#log });
        for (const scheme of t.pushSchemes ?? []) this.#pushers.set(scheme, pusher);
      }
    }
    this.#pushLinks = new LRUCache({ max: 1024, dispose: (l) => l.close() });
    this.#policy.on('change', () => this.#recheck());
  }

  #transportOptions(): TransportOptions {
    const o = this.#o;
    return {
      auth: this.auth,
      self: { id: o.identity.id, card: o.card, version: o.version },
      limits: o.limits,
      logger: this.#log,
      onMisbehavior: (kind: MisbehaviorKind) => this.metrics.misbehavior.inc({ kind }),
    };
  }

  /** Loads the allow/deny lists (and watches them), then starts the transports that listen in-process (memory). */
  async start(): Promise<void> {
    await this.#policy.start();
    for (const t of this.#transports) if (t.listensOn === 'in-process') await this.listen(t.name, { on: 'in-process' });
  }

  /** Starts transport `name` listening at `place` (of the kind it listens at); ERR_CONFIG if it does not. */
  listen(name: TransportKind, place: ListenPlace): Promise<Listener> {
    const t = this.#transports.find((x) => x.name === name);
    if (!t?.listen || t.listensOn !== place.on) return Promise.reject(new PushmeshError('ERR_CONFIG', `this node has no transport "${name}" that listens on ${place.on}`));
    // Called synchronously: a listener on the HTTPS server takes its upgrades from now on.
    const listener = t.listen(place, {
      ...this.#transportOptions(),
      onLink: (l) => this.#add(l),
      onRefused: (reason) => this.metrics.refused.inc({ transport: name, reason }),
    });
    this.#listeners.push(listener);
    return listener;
  }

  /** Starts the gRPC ADS listener (`--grpc`); resolves with the port it got. */
  async listenGrpc(host: string, port: number): Promise<{ host: string; port: number }> {
    const listener = await this.listen('grpc', { on: 'socket', host, port });
    return listener.address ?? { host, port };
  }

  /** Every transport that listens on the node's HTTPS server (WebSocket `/ws`) starts taking its upgrades. */
  attachWebSocket(server: Server): void {
    for (const t of this.#transports) {
      if (t.listensOn !== 'https-server') continue;
      this.listen(t.name, { on: 'https-server', server }).catch((err: unknown) => this.#log.error({ err, transport: t.name }, 'cannot listen on the HTTPS server'));
    }
  }

  /**
   * Keeps a link up for each peer entry: a URL, or alternatives joined by
   * `|` of which one is linked at a time (failover). ERR_CONFIG for a bad
   * entry, before anything is dialed.
   */
  dial(entries: readonly string[]): void {
    const groups = entries.map((e) => parsePeerGroup(e, this.#transports));
    for (const targets of groups) {
      const loop = new DialLoop({
        targets,
        dialer: (target) => this.#dialers.get(target.transport)!,
        logger: this.#log,
        onLink: (l) => this.#add(l),
      });
      this.#loops.push(loop);
      loop.start();
    }
  }

  #add(link: Link): void {
    if (this.#closing) {
      link.close('shutdown', 'node shutting down');
      return;
    }
    if (link.peerCard) this.#learnedCards.set(link.peer.id, link.peerCard);
    const list = this.#links.get(link.peer.id) ?? [];
    list.push(link);
    this.#links.set(link.peer.id, list);
    this.#log.info({ peer: link.peer.id, transport: link.transport, direction: link.direction, address: link.peer.address, card: link.peerCard !== undefined }, 'peer link ready');
    void link.closed.then((ended) => {
      const rest = (this.#links.get(link.peer.id) ?? []).filter((l) => l !== link);
      if (rest.length) this.#links.set(link.peer.id, rest);
      else this.#links.delete(link.peer.id);
      this.metrics.closed.inc({ transport: link.transport, reason: ended.reason });
      if (link.direction === 'inbound') this.#log.info({ peer: link.peer.id, transport: link.transport, reason: ended.reason, detail: ended.message }, 'peer link closed');
      this.emit('down', link);
    });
    void this.#consume(link);
    this.emit('up', link);
  }

  /**
   * One consumer per link: the node's handler answers each message. Messages
   * of one flow (same origin and destination) are handled one after the
   * other, in the order they came; other flows do not wait for them (a
   * relayed message waiting for its next hop's answer does not hold up
   * the link), up to FLOWS_IN_FLIGHT at once.
   */
  async #consume(link: Link): Promise<void> {
    const lanes = new FlowLanes(FLOWS_IN_FLIGHT);
    for await (const m of link.incoming) {
      await lanes.room();
      void lanes.run(flowKey(m.wire), async () => {
        try {
          const held = m.heldBack?.();
          if (held) {
            m.nack(held);
            return;
          }
          await this.#o.onMessage(m);
        } catch (err) {
          this.#log.error({ err, peer: link.peer.id }, 'message handler failed');
          m.nack('bad_message');
        }
      });
    }
  }

  /** Live links re-checked against the access lists after they changed. */
  #recheck(): void {
    for (const link of this.links()) {
      try {
        this.auth.permit({ id: link.peer.id, caSigned: link.peer.caSigned ?? false }, link.direction);
      } catch (err) {
        const message = isPushmeshError(err) ? err.message.replace(/^forbidden: /, '') : 'refused';
        this.#log.info({ peer: link.peer.id, reason: message }, 'closing a peer link the access lists no longer allow');
        link.close('forbidden', message);
      }
    }
  }

  *links(): Iterable<Link> {
    for (const list of this.#links.values()) yield* list;
  }

  /** The link to use for a peer: the newest one up. */
  linkTo(id: NodeId): Link | undefined {
    const list = this.#links.get(id);
    return list?.[list.length - 1];
  }

  /** Whether a configured peer entry (`--peer ID@…`) names `id`: this node dials it and keeps a link to it up. */
  dials(id: NodeId): boolean {
    return this.#loops.some((d) => d.targets.some((t) => t.expectedId === id));
  }

  /** A peer's card as a link handshake gave it (the live link's, else the last one seen). */
  cardOf(id: NodeId): Card | undefined {
    for (const l of [...(this.#links.get(id) ?? [])].reverse()) if (l.peerCard) return l.peerCard;
    return this.#learnedCards.get(id);
  }

  /**
   * One delivery attempt of an outbox entry: over a link to the
   * destination when one is up (preferred), else over the link to the
   * next hop the route table names, else an HTTPS Web Push to `card`.
   * `entry.dest` is the final destination (the wire's `to`, or the next
   * jump host a relay holds it for). The TTL sent is what is left of it.
   * `card` (or a function that looks it up) is only needed for HTTPS; a
   * link is chosen and written to before any await, so attempts started
   * in order are written in order (see DeliveryPin for `pin`). Resolves
   * how it went, and which way it went.
   */
  async deliver(
    entry: OutboxEntry,
    card: Card | undefined | (() => Promise<Card | undefined>),
    signal: AbortSignal,
    pin?: DeliveryPin,
  ): Promise<{ result: DeliveryResult; via: 'link' | 'https' }> {
    const wire = decodeWebpushMessage(entry.wire);
    const ttlZero = wire.ttl === 0;
    // What is left of the TTL, rounded up: a message with under a second left is still not a TTL 0 message.
    if (!ttlZero) wire.ttl = Math.max(1, Math.ceil((entry.expiresAt - Date.now()) / 1000));
    // This node's own message: a fresh VAPID token (the signer caches it), so one that waited here longer than its token lived still verifies.
    // The one await before the pin below keeps call order: concurrent calls wait on the same cached (or already settled) promise.
    if (wire.from === this.#o.identity.id) wire.authorization = await this.#o.signer.authorization(linkAudience(wire.to));
    const bytes = encodeWebpushMessage(wire);
    // The first jump host (`via`), else the destination; a direct link to it first, else the route table's next hop.
    const goal = wire.via[0] ?? entry.dest;
    const hop = this.linkTo(goal) ? undefined : this.#o.nextHop?.(goal);
    const link = this.linkTo(goal) ?? (hop ? this.linkTo(hop) : undefined);
    const via = link ? 'link' : 'https';
    if (pin) {
      // Strict order, several in flight: all on the link the first one took (decided here, before any await).
      if (pin.lane === undefined) pin.lane = link ?? null;
      else if (pin.lane !== link || !link) return { result: retryUnlessNow(ttlZero, 'the way to the destination changed under an ordered pipeline'), via };
    }
    let target: Link | undefined = link;
    if (!target) {
      if (goal !== entry.dest) return { result: noWayToJumpHost(retryUnlessNow(ttlZero, `no route to jump host ${goal}`)), via };
      const known = typeof card === 'function' ? await card() : card;
      // Queued with a card learned from a link, before a restart: wait for the link to come back (within the TTL).
      if (!known) return { result: retryUnlessNow(ttlZero, 'no link to the destination and no card to reach it otherwise'), via };
      if (known.endpoint === '') return { result: retryUnlessNow(ttlZero, 'no link to the destination, and it serves no Web Push endpoint: it is reached over a link or through a relay'), via };
      const pushed = this.#pushLink(known);
      if (typeof pushed === 'string') return { result: retryUnlessNow(ttlZero, pushed), via };
      target = pushed;
    }
    let outcome: SendOutcome;
    try {
      outcome = await target.send(bytes, { signal });
    } catch (err) {
      return { result: retryUnlessNow(ttlZero, (err as Error).message), via };
    }
    this.metrics.messages.inc({ direction: 'out', outcome: outcome.ok ? 'ack' : outcome.reason });
    if (outcome.ok) return { result: { kind: 'delivered' }, via };
    // queue_full: try later; no_route: no hop on the way knows the destination now, so the origin holds it (docs/routing.md).
    // no_route for a message with jump hosts: the way the app chose is not there (now); it yields its place (docs/node.md).
    if (outcome.reason === 'no_route' && wire.via.length > 0) return { result: noWayToJumpHost(retryUnlessNow(ttlZero, `no route through jump host${wire.via.length > 1 ? 's' : ''} ${wire.via.join(', ')} (a hop answered no_route)`)), via };
    if (outcome.reason === 'queue_full' || outcome.reason === 'no_route' || outcome.reason === 'storage_full') return { result: retryUnlessNow(ttlZero, outcome.reason), via };
    return { result: { kind: 'rejected', reason: outcome.reason }, via };
  }

  /** A link that pushes to the card's endpoint (by the transport of its scheme), or why there is none. */
  #pushLink(card: Card): Link | string {
    let l = this.#pushLinks.get(card.id);
    if (l && l.peerCard?.endpoint === card.endpoint && l.peerCard.keys.auth === card.keys.auth) return l;
    let scheme: string;
    try {
      scheme = new URL(card.endpoint).protocol;
    } catch {
      return `the card's endpoint is not a URL: ${card.endpoint.slice(0, 100)}`;
    }
    const pusher = this.#pushers.get(scheme);
    if (!pusher) return `no transport of this node pushes to ${scheme}// endpoints`;
    l = pusher.link(card);
    this.#pushLinks.set(card.id, l);
    return l;
  }

  /** What GET /peers shows of the links. */
  list(): LinkInfo[] {
    const loops = new Map(this.#loops.map((d) => [d.link, d]));
    return [...this.links()].map((l) => {
      const s = l.stats();
      return {
        id: l.peer.id,
        transport: l.transport,
        direction: l.direction,
        address: l.peer.address ?? '',
        url: loops.get(l)?.target.url ?? null,
        since: l.since,
        sent: s.sent,
        acked: s.acked,
        nacked: s.nacked,
        received: s.received,
        refused: s.refused,
        inFlight: s.inFlight,
        queued: s.queued,
      };
    });
  }

  /** Peers configured with --peer that are not linked now (the whole entry, alternatives joined by `|`), and why. */
  pending(): Array<{ url: string; error: string | null }> {
    return this.#loops.filter((d) => !d.link).map((d) => ({ url: d.url, error: d.lastError }));
  }

  /** Stops dialing and listening; drains live links (in-flight messages finish) or closes them now. */
  async close(options: { drain?: boolean } = {}): Promise<void> {
    this.#closing = true;
    this.#policy.stop();
    await Promise.all(this.#loops.map((d) => d.stop()));
    const links = [...this.links()];
    if (options.drain) await Promise.allSettled(links.map((l) => l.drain({ signal: AbortSignal.timeout(10_000) })));
    else for (const l of links) l.close('shutdown', 'node shutting down');
    await Promise.allSettled(this.#listeners.map((l) => l.then((listener) => listener.close(options))));
    this.#pushLinks.clear();
    for (const p of new Set(this.#pushers.values())) p.close();
    for (const d of this.#dialers.values()) d.close();
  }
}

/** Marks a retry as "no way to the next jump host" (OutboxDispatcher: the entry yields its place). */
function noWayToJumpHost(r: DeliveryResult): DeliveryResult {
  return r.kind === 'retry' ? { ...r, noRouteToJumpHost: true } : r;
}

/** A failed attempt is retried later, except for TTL 0 (RFC 8030 §5.2: deliver now or drop). */
function retryUnlessNow(ttlZero: boolean, reason: string): DeliveryResult {
  return ttlZero ? { kind: 'rejected', reason: `TTL 0 and not deliverable now: ${reason}` } : { kind: 'retry', reason };
}
