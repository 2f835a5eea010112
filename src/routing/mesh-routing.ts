import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { VapidError, isPushmeshError } from '../errors/index.js';
import { nodeIdFromPublicKey } from '../identity/node-id.js';
import type { NodeId } from '../identity/types.js';
import { linkAudience } from '../message/link-audience.js';
import type { Message, WebpushMessage } from '../message/types.js';
import { validateWebpushMessage } from '../message/validate.js';
import { decodeRouteAnnouncement, encodeRouteAnnouncement } from './wire.js';
import { nackReasonForError, type NackReason } from '../proto/status.js';
import { decodeWebpushMessage, encodeWebpushMessage } from '../proto/webpush-message.js';
import type { InboundMessage, Link, SendOutcome } from '../transport/types.js';
import type { VapidVerifier } from '../webpush/index.js';
import { MAX_ATTACHMENT_TTL_MS, signAttachment, verifyAttachment, verifyRoute } from './attachment.js';
import { AnnouncementAssembler } from './announcement-assembler.js';
import { RouteGuard, type RouteLimits } from './route-limits.js';
import { Announcer } from './announcer.js';
import { RouteTable } from './route-table.js';
import { Router, type Decision, type RelayOutcome } from './router.js';
import type { Fabric } from './fabric.js';
import type { Attachment, AttachmentStore, Route } from './types.js';
import type { RouteEntry } from '../core/route-entry.js';

const OK: RelayOutcome = { ok: true };

/** Reserved topic that carries route announcements between linked nodes (docs/routing.md). */
export const ROUTES_TOPIC = 'pushmesh.routes';
/** Re-announce (and re-sign attachments) this often while a link stays up. */
const REANNOUNCE_MS = 3 * 3600 * 1000;

export interface MeshRoutingOptions {
  self: NodeId;
  key: { privateKey: KeyObject; publicKey: Uint8Array };
  verifier: Pick<VapidVerifier, 'verify'>;
  /** The live link to a peer. */
  linkTo: (peer: NodeId) => Link | undefined;
  /** Sends a node message (encrypted, from this node) to a linked peer. */
  sendToPeer: (peer: NodeId, topic: string, data: unknown) => Promise<void>;
  /**
   * Keeps a relayed message on disk until `target` is back (store-and-forward),
   * at most until `notAfter` (Unix ms: its sender's VAPID token expires then,
   * and no later hop would accept it); throws ERR_QUEUE_FULL.
   */
  hold: (target: NodeId, wire: WebpushMessage, notAfter: number) => void | Promise<void>;
  /** Whether messages for `target` already wait on this node's disk: a new one queues behind them, so none overtakes another. */
  backlog?: (target: NodeId) => boolean;
  /** Attachments of linked nodes, kept across restarts (a node that left before the restart is still held for). */
  attachments?: AttachmentStore;
  /** Routes were learned: messages waiting for a route may go now. */
  routesLearned?: () => void;
  /** Caps and rate on what linked peers announce (docs/routing.md "Limits"); defaults for what is left out. */
  routeLimits?: Partial<RouteLimits>;
  /**
   * Which peers are trusted to announce routes to other nodes up to
   * `maxRoutesPerPeer` (on `peers.allow`, CA-signed, or in `transitPeers`:
   * TransitPolicy); any other peer gets `maxRoutesPerUnlistedPeer`.
   * Default: nobody. Closed with this.
   */
  transit?: { allowed(peer: NodeId): boolean; close?(): void };
  logger: Logger;
  registry?: Registry;
  now?: () => number;
}

/**
 * A node's part in mesh routing: its route table, the forwarding rules
 * (Router) for messages that arrive on a link for another node, and the
 * signed route announcements it sends to its upstreams and learns from
 * the nodes linked to it. Relays never decrypt.
 */
export class MeshRouting {
  readonly table: RouteTable;
  readonly router: Router;
  readonly #o: MeshRoutingOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  /** peer → its own attachment to this node (it announced "I am reachable through you"). */
  readonly #attached = new Map<NodeId, Attachment>();
  /** peer → verified routes it announced (chains ending at the peer). */
  readonly #chains = new Map<NodeId, Route[]>();
  readonly #upstreams = new Set<NodeId>();
  readonly #announcer: Announcer;
  readonly #assembler: AnnouncementAssembler;
  /** Caps, rate and refusal count on announced routes. */
  readonly #guard: RouteGuard;
  /** peer → when its last announcement was applied (the routes of a peer that is away go first when all peers together are at the cap). */
  readonly #lastAnnounced = new Map<NodeId, number>();
  /** peer → when this node last asked it for a full announcement (at most one ask per 5 s). */
  readonly #askedFull = new Map<NodeId, number>();
  /** Messages for other nodes that arrived here, by what became of them. */
  readonly relayed: Counter<'action' | 'outcome'>;
  #fabric: Fabric | null = null;
  /** Linked (non-upstream) peers this relay carries in the fabric: their detach functions. */
  readonly #attachments = new Map<NodeId, Promise<(() => Promise<void>) | null>>();
  #timer: NodeJS.Timeout | null = null;
  #announceSoon: NodeJS.Timeout | null = null;

  constructor(opts: MeshRoutingOptions) {
    this.#o = opts;
    this.#log = opts.logger.child({ component: 'routing' });
    this.#now = opts.now ?? Date.now;
    this.table = new RouteTable({ now: this.#now });
    this.router = new Router(opts.self, this.table, { holdWithoutRoute: () => this.#fabric !== null });
    this.relayed = new Counter({
      name: 'pushmesh_relayed_messages_total',
      help: 'Messages for other nodes that arrived on a link: forwarded, held (store-and-forward), duplicate or refused; outcome is ack or the NACK reason',
      labelNames: ['action', 'outcome'],
      registers: opts.registry ? [opts.registry] : [],
    });
    this.#guard = new RouteGuard({ ...(opts.routeLimits ? { limits: opts.routeLimits } : {}), logger: this.#log, ...(opts.registry ? { registry: opts.registry } : {}), now: this.#now });
    // Parts waiting for the rest of their generation hold at most the peer's cap of routes, and as many withdrawals.
    this.#assembler = new AnnouncementAssembler({ maxItems: (peer) => 2 * this.#guard.capOf(this.#transit(peer)) + 64 });
    this.#announcer = new Announcer({
      send: (peer, ann) => opts.sendToPeer(peer, ROUTES_TOPIC, { v: 1, announcement: encodeRouteAnnouncement(ann).toString('base64') }),
      skipped: (peer, r) => this.#log.warn({ upstream: peer, dest: r.chain[0]!.node, hops: r.chain.length }, 'a route is too long to announce; left out'),
      now: this.#now,
    });
    this.#timer = setInterval(() => this.#announceAll('full'), REANNOUNCE_MS);
    this.#timer.unref();
    this.#restoreAttachments();
  }

  /** Nodes that were attached here before a restart: departed until they come back or their attachment runs out. */
  #restoreAttachments(): void {
    const store = this.#o.attachments;
    if (!store) return;
    const now = this.#now();
    for (const a of store.load(now)) {
      try {
        if (a.relay !== this.#o.self) throw new Error('attachment is to another relay');
        verifyAttachment(a, now);
      } catch (err) {
        this.#log.warn({ node: a.node, reason: (err as Error).message }, 'ignoring a stored attachment');
        continue;
      }
      this.#attached.set(a.node, a);
      this.table.markDeparted(a.node, a.expires);
    }
    if (this.#attached.size > 0) this.#log.info({ nodes: this.#attached.size }, 'restored attachments of nodes that were linked before the restart');
  }

  linkUp(link: Link): void {
    const peer = link.peer.id;
    const upstream = link.direction === 'outbound';
    this.table.linkUp(peer, { upstream });
    if (upstream) {
      this.#upstreams.add(peer);
      void this.#announce(peer, 'full');
    } else {
      this.#attachFabric(peer);
      this.#changed();
    }
  }

  /**
   * Uses a shared fabric (NATS JetStream, docs/backends.md "Scale-out"):
   * nodes linked here (not upstreams) are attached to it, and a message
   * this relay has no route for, or whose destination left, goes into it
   * for whichever relay that node is attached to.
   */
  useFabric(fabric: Fabric): void {
    this.#fabric = fabric;
    for (const r of this.table.list()) if (r.kind === 'link' && r.up && !this.#upstreams.has(r.dest)) this.#attachFabric(r.dest);
  }

  #attachFabric(peer: NodeId): void {
    const fabric = this.#fabric;
    if (!fabric || this.#attachments.has(peer)) return;
    const deliver = async (bytes: Uint8Array): Promise<boolean> => {
      const link = this.#o.linkTo(peer);
      if (!link) return false;
      try {
        const outcome = await link.send(this.#lastHop(bytes), { signal: AbortSignal.timeout(60_000) });
        if (outcome.ok) return true;
        this.#log.info({ peer, reason: outcome.reason }, 'a node refused a message from the fabric');
        return outcome.reason !== 'queue_full' && outcome.reason !== 'storage_full'; // both: the fabric redelivers later
      } catch {
        return false;
      }
    };
    this.#attachments.set(
      peer,
      fabric.attach(peer, deliver).catch((err: unknown) => {
        this.#log.warn({ peer, reason: (err as Error).message }, 'could not attach a node to the fabric');
        this.#attachments.delete(peer);
        return null;
      }),
    );
  }

  /**
   * A message the fabric hands this relay for a node linked here: this
   * relay is on its path too (unless it also put it into the fabric), so
   * the destination sees every relay it crossed.
   */
  #lastHop(bytes: Uint8Array): Uint8Array {
    let wire: WebpushMessage;
    try {
      wire = decodeWebpushMessage(bytes);
    } catch {
      return bytes; // the destination refuses it with the reason
    }
    if (wire.path[wire.path.length - 1] === this.#o.self) return bytes;
    return encodeWebpushMessage({ ...wire, path: [...wire.path, this.#o.self], hopLimit: Math.max(0, wire.hopLimit - 1) });
  }

  #detachFabric(peer: NodeId): void {
    const a = this.#attachments.get(peer);
    if (!a) return;
    this.#attachments.delete(peer);
    void a.then((detach) => detach?.()).catch((err: unknown) => this.#log.warn({ peer, reason: (err as Error).message }, 'could not detach a node from the fabric'));
  }

  /** Hands a relayed message to the fabric for `target`; resolves the answer for the previous hop. */
  async #toFabric(fabric: Fabric, target: NodeId, wire: WebpushMessage): Promise<RelayOutcome> {
    try {
      await fabric.forward(target, encodeWebpushMessage(wire), { ttlSeconds: wire.ttl, signal: AbortSignal.timeout(30_000) });
      this.#log.debug({ msg_id: wire.id, target }, 'handed a message to the fabric');
      return { ok: true };
    } catch (err) {
      this.#log.warn({ msg_id: wire.id, target, reason: (err as Error).message }, 'the fabric did not take a message');
      return { ok: false, reason: 'queue_full' };
    }
  }

  linkDown(link: Link): void {
    const peer = link.peer.id;
    if (this.#o.linkTo(peer)) return; // another link to it is still up
    this.table.linkDown(peer);
    this.#upstreams.delete(peer);
    this.#detachFabric(peer);
    this.#announcer.forget(peer);
    this.#assembler.forget(peer);
    this.#askedFull.delete(peer);
    // Its own attachment and the chains it announced stay (until they expire): messages for a departed node, or for nodes
    // behind it, wait here, so upstreams keep sending them here.
    this.#changed();
  }

  /** The linked peer to hand a message for `dest` to (a direct link first), or undefined. */
  nextHop(dest: NodeId): NodeId | undefined {
    const r = this.table.lookup(dest, null);
    return r.kind === 'link' || r.kind === 'announced' || r.kind === 'upstream' ? r.next : undefined;
  }

  list(): RouteEntry[] {
    return this.table.list();
  }

  /**
   * A message that arrived on a link for another node: verify its VAPID
   * token (audience pushmesh://<to>, `from` = the token's key), then
   * forward it, hold it, or refuse it, and answer the link with the
   * outcome (a forward is ACKed only after the next hop ACKed).
   */
  async relay(m: InboundMessage): Promise<void> {
    const wire = m.wire;
    const fromPeer = m.link.peer.id;
    let tokenExpires: number;
    try {
      validateWebpushMessage(wire);
      tokenExpires = await this.#verifySender(wire);
    } catch (err) {
      const reason = nackReasonForError(err) ?? 'bad_message';
      this.#log.info({ peer: fromPeer, from: wire.from, msg_id: wire.id, reason, detail: isPushmeshError(err) ? err.message : String(err) }, 'refused a message to relay');
      this.relayed.inc({ action: 'nack', outcome: reason });
      m.nack(reason);
      return;
    }
    const d = this.router.decide(wire, fromPeer);
    const answer = (outcome: RelayOutcome): void => {
      this.relayed.inc({ action: d.action, outcome: outcome.ok ? 'ack' : outcome.reason });
      if (outcome.ok) m.ack();
      else m.nack(outcome.reason);
    };
    switch (d.action) {
      case 'deliver':
        answer(OK);
        return;
      case 'duplicate':
        // Passed on already: ACK. Still on its way (the previous hop retried it over another link while this node waits
        // for the next hop): this copy, on the link it came on, gets the first copy's answer once there is one.
        answer(d.pending ? await d.pending : OK);
        return;
      case 'nack':
        this.#log.debug({ peer: fromPeer, msg_id: wire.id, reason: d.reason, detail: d.detail }, 'not relaying a message');
        answer({ ok: false, reason: d.reason });
        return;
      case 'hold':
      case 'forward': {
        let outcome: RelayOutcome;
        try {
          outcome = await this.#passOn(d, wire, tokenExpires);
        } catch (err) {
          this.#log.warn({ msg_id: wire.id, target: d.target, err: (err as Error).message }, 'could not pass on a relayed message');
          outcome = { ok: false, reason: 'queue_full' };
        }
        // Copies that came meanwhile get the same answer; a refused message is forgotten, so its retry is passed on again.
        this.router.settle(wire, outcome);
        answer(outcome);
        return;
      }
    }
  }

  /** Forwards, holds, or hands to the fabric a relayed message `decide` said to pass on; resolves the answer for the previous hop. */
  async #passOn(d: Extract<Decision, { action: 'hold' | 'forward' }>, wire: WebpushMessage, tokenExpires: number): Promise<RelayOutcome> {
    if (d.action === 'hold') {
      const fabric = this.#fabric;
      if (fabric) return this.#toFabric(fabric, d.target, d.wire);
      return this.#holdHere(d.target, d.wire, wire, tokenExpires);
    }
    // Earlier messages for it wait here: this one goes behind them, not past them.
    if (this.#o.backlog?.(d.target)) return this.#holdHere(d.target, d.wire, wire, tokenExpires);
    const link = this.#o.linkTo(d.next);
    let outcome: SendOutcome;
    try {
      if (!link) throw new Error('next hop link is gone');
      outcome = await link.send(encodeWebpushMessage(d.wire), { signal: AbortSignal.timeout(60_000) });
    } catch (err) {
      this.#log.debug({ msg_id: wire.id, next: d.next, err: (err as Error).message }, 'next hop did not take a relayed message');
      return { ok: false, reason: 'queue_full' };
    }
    return outcome.ok ? OK : { ok: false, reason: outcome.reason as NackReason };
  }

  /** Keeps a relayed message on this node's disk for `target`; the answer for the previous hop, once it is on disk. */
  async #holdHere(target: NodeId, next: WebpushMessage, wire: WebpushMessage, tokenExpires: number): Promise<RelayOutcome> {
    try {
      await this.#o.hold(target, next, tokenExpires * 1000);
    } catch (err) {
      return { ok: false, reason: nackReasonForError(err) ?? 'queue_full' };
    }
    this.#log.debug({ msg_id: wire.id, target }, 'holding a message until its destination is back');
    return OK;
  }

  /** Checks the sender's VAPID token; returns its `exp` (Unix seconds). */
  async #verifySender(wire: WebpushMessage): Promise<number> {
    const { publicKey, expires } = await this.#o.verifier.verify(wire.authorization, linkAudience(wire.to));
    let sender: NodeId;
    try {
      sender = nodeIdFromPublicKey(publicKey);
    } catch (cause) {
      throw new VapidError('ERR_VAPID_INVALID', 'VAPID key is not a P-256 public key', { cause });
    }
    if (sender !== wire.from) throw new VapidError('ERR_VAPID_INVALID', '"from" is not the node ID of the VAPID key');
    return expires;
  }

  /** Whether `peer` may announce routes to other nodes up to the larger cap. */
  #transit(peer: NodeId): boolean {
    return this.#o.transit?.allowed(peer) ?? false;
  }

  /**
   * A `pushmesh.routes` message from a linked peer: within the peer's rate,
   * verify its routes up to its cap and what all peers together may still
   * add (docs/routing.md "Limits"), then learn them. What is over a limit is
   * refused without being verified, counted and logged once a minute; the
   * routes of other peers stay as they are.
   */
  onAnnouncement(msg: Message): void {
    const peer = msg.from;
    if (!this.table.isLinked(peer)) throw new Error(`route announcement from ${peer}, which is not linked`);
    const value = msg.data.kind === 'json' ? (msg.data.value as { v?: unknown; announcement?: unknown }) : null;
    if (!value || value.v !== 1 || typeof value.announcement !== 'string') throw new Error('route announcement without a v1 body');
    const trusted = this.#transit(peer);
    if (!this.#guard.admit(peer, trusted)) return;
    const part = decodeRouteAnnouncement(Buffer.from(value.announcement, 'base64'));
    if (part.requestFull) {
      // The peer (an upstream of this node) missed something: it gets everything again.
      if (this.#upstreams.has(peer)) void this.#announce(peer, 'full');
      return;
    }
    const a = this.#assembler.add(peer, part);
    if (a.kind === 'resync') {
      this.#askFull(peer);
      return;
    }
    if (a.kind !== 'apply') return;
    const ann = a.ann;
    const now = this.#now();
    this.#guard.refuse(peer, 'peer_limit', a.dropped, 'more routes and withdrawals than the peer may have waiting');
    // What stays of the peer's routes: nothing (full), else those not withdrawn nor announced again; expired ones go.
    const replaced = new Set([...ann.withdrawn, ...ann.routes.map((r) => r.chain[0]?.node)]);
    const keep: Route[] = [];
    const gone: NodeId[] = [];
    for (const r of ann.full ? [] : (this.#chains.get(peer) ?? [])) {
      if (replaced.has(r.chain[0]!.node) || routeExpires(r) <= now) gone.push(r.chain[0]!.node);
      else keep.push(r);
    }
    const cap = this.#guard.capOf(trusted);
    const announced = ann.routes.length;
    const forPeer = Math.max(0, cap - keep.length);
    const forAll = this.#roomInTotal(peer, keep.length, Math.min(forPeer, announced), now);
    const room = Math.min(forPeer, forAll);
    const learned: { dest: NodeId; hops: number; expires: number }[] = [];
    const chains: Route[] = [];
    let own: Attachment | undefined;
    let over = 0;
    let invalid = 0;
    let why = '';
    for (const route of ann.routes) {
      try {
        const first = route.chain[0];
        if (route.chain.length === 1 && first && first.node === peer && first.relay === this.#o.self) {
          // The peer's own attachment: "I am reachable through you" (always taken: one per peer).
          verifyAttachment(first, now);
          own = first;
          continue;
        }
        if (chains.length >= room) {
          over++; // not even verified
          continue;
        }
        learned.push(verifyRoute(route, peer, this.#o.self, now));
        chains.push(route);
      } catch (err) {
        invalid++;
        why = (err as Error).message;
      }
    }
    this.#guard.refuse(peer, 'invalid', invalid, why);
    this.#guard.refuse(peer, forPeer <= forAll ? 'peer_limit' : 'total_limit', over, `${trusted ? 'trusted' : 'unlisted'} peer: cap ${cap}, ${keep.length} kept`);
    if (ann.full) {
      this.#chains.set(peer, chains);
      if (!own && this.#attached.delete(peer)) this.#o.attachments?.remove(peer);
    } else {
      this.#chains.set(peer, [...keep, ...chains]);
    }
    if (this.#chains.get(peer)!.length > 0) this.#lastAnnounced.set(peer, now);
    else {
      this.#chains.delete(peer);
      this.#lastAnnounced.delete(peer);
    }
    if (own) {
      this.#attached.set(peer, own);
      this.#o.attachments?.save(own);
    }
    // The table follows the chains kept: withdrawn, replaced and expired destinations go, then the new ones come.
    this.table.learn(peer, learned, { full: ann.full, withdrawn: [...ann.withdrawn, ...gone] });
    this.#log.debug({ peer, routes: learned.length, attached: own !== undefined }, 'learned routes');
    if (learned.length > 0) this.#o.routesLearned?.();
    this.#changed();
  }

  /**
   * How many new routes from `peer` fit under `maxRoutes`, given that it
   * keeps `keeping` of its own. When short of `wanted`, expired chains go
   * first, then the routes of peers that are away and not trusted for
   * transit (the one that announced longest ago first); the routes of linked
   * peers are never dropped for another peer.
   */
  #roomInTotal(peer: NodeId, keeping: number, wanted: number, now: number): number {
    const max = this.#guard.limits.maxRoutes;
    const others = (): number => {
      let n = 0;
      for (const [p, c] of this.#chains) if (p !== peer) n += c.length;
      return n;
    };
    let free = max - others() - keeping;
    if (free >= wanted) return Math.max(0, free);
    for (const [p, c] of this.#chains) {
      const live = c.filter((r) => routeExpires(r) > now);
      if (p === peer || live.length === c.length) continue;
      if (live.length > 0) this.#chains.set(p, live);
      else this.#chains.delete(p);
    }
    free = max - others() - keeping;
    const away = [...this.#chains.keys()]
      .filter((p) => p !== peer && !this.table.isLinked(p) && !this.#transit(p))
      .sort((x, y) => (this.#lastAnnounced.get(x) ?? 0) - (this.#lastAnnounced.get(y) ?? 0));
    for (const p of away) {
      if (free >= wanted) break;
      const n = this.#chains.get(p)!.length;
      this.#chains.delete(p);
      this.#lastAnnounced.delete(p);
      this.table.forget(p);
      free += n;
      this.#log.info({ peer: p, routes: n, for: peer }, 'dropped the routes of a peer that is away to make room under maxRoutes');
    }
    return Math.max(0, free);
  }

  /** What this node announces to `upstream`: its own attachment, and every chain it can extend. */
  #announcementFor(upstream: NodeId): Route[] {
    const now = this.#now();
    const expires = now + MAX_ATTACHMENT_TTL_MS;
    const routes: Route[] = [{ chain: [signAttachment(this.#o.key, upstream, expires)] }];
    const seen = new Set<NodeId>([upstream, this.#o.self]);
    for (const [peer, att] of this.#attached) {
      if (this.#upstreams.has(peer) || att.expires <= now) continue;
      if (!seen.has(peer)) {
        seen.add(peer);
        routes.push({ chain: [att] });
      }
      for (const r of this.#chains.get(peer) ?? []) {
        const dest = r.chain[0]!.node;
        if (seen.has(dest) || r.chain.some((a) => a.node === upstream || a.expires <= now) || r.chain.length + 1 > 32) continue;
        seen.add(dest);
        routes.push({ chain: [...r.chain, att] });
      }
    }
    return routes;
  }

  /** Tells `upstream` what is reachable through this node: everything, or what changed since the last announcement. */
  async #announce(upstream: NodeId, mode: 'full' | 'changes'): Promise<void> {
    const routes = this.#announcementFor(upstream);
    try {
      const parts = await this.#announcer.announce(upstream, routes, mode);
      if (parts > 0) this.#log.debug({ upstream, routes: routes.length, mode, parts }, 'announced routes');
    } catch (err) {
      this.#log.warn({ upstream, reason: (err as Error).message }, 'could not announce routes');
    }
  }

  #announceAll(mode: 'full' | 'changes'): void {
    for (const up of this.#upstreams) void this.#announce(up, mode);
  }

  /** Asks a peer that announces to this node for a full announcement (it sent changes to a generation this node lacks). */
  #askFull(peer: NodeId): void {
    const now = this.#now();
    if ((this.#askedFull.get(peer) ?? 0) > now - 5_000) return;
    this.#askedFull.set(peer, now);
    const announcement = encodeRouteAnnouncement({ routes: [], full: false, withdrawn: [], requestFull: true }).toString('base64');
    this.#log.debug({ peer }, 'asking for a full route announcement');
    this.#o.sendToPeer(peer, ROUTES_TOPIC, { v: 1, announcement }).catch((err: unknown) => this.#log.warn({ peer, reason: (err as Error).message }, 'could not ask for a full route announcement'));
  }

  /** What is reachable through this node changed: tell the upstreams (coalesced). */
  #changed(): void {
    if (this.#announceSoon || this.#upstreams.size === 0) return;
    this.#announceSoon = setTimeout(() => {
      this.#announceSoon = null;
      this.#announceAll('changes');
    }, 50);
    this.#announceSoon.unref();
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#announceSoon) clearTimeout(this.#announceSoon);
    this.#o.transit?.close?.();
    this.#timer = this.#announceSoon = null;
  }
}

/** When a route ends: its earliest attachment's expiry. */
function routeExpires(r: Route): number {
  let t = Number.POSITIVE_INFINITY;
  for (const a of r.chain) t = Math.min(t, a.expires);
  return t;
}
