/**
 * A browser tab as a pushmesh node (docs/browser.md): its identity in
 * IndexedDB, one link to a relay kept up, messages sealed end to end to
 * other nodes by ID, messages for it opened and handed to the page,
 * delivery statuses and receipts as on a node.
 */
import { parseCard, cardOf, type Card } from './core/card.js';
import { PushmeshError } from './core/errors.js';
import type { BrowserIdentity } from './core/identity.js';
import { loadOrCreateIdentity } from './core/key-store.js';
import { newMessageId, DEFAULT_TTL_SECONDS, MAX_TTL_SECONDS, type Message, type Payload, type Urgency } from './core/message.js';
import { isNodeId, type NodeId } from './core/node-id.js';
import { SenderMacKeys } from './core/sender-mac.js';
import { VapidSigner } from './core/vapid.js';
import { RelayConnection, parseRelayUrl, type LinkStateEvent, type Outcome, type RelayLink, type WebSocketFactory } from './link.js';
import { MAX_ATTACHMENT_TTL_MS, ROUTES_TOPIC, attachmentAnnouncement, encodeWebpushMessage, openForSelf, sealForCard } from './link-support.js';
import { ReplayWindow } from './core/seal.js';
import { openCardStore, type CardStore } from './card-store.js';
import { openSeenStore, type SeenEntry, type SeenStore } from './seen-store.js';
import { openOutboxStore, type OutboxStore } from './outbox-store.js';

export const RECEIPT_TOPIC = 'pushmesh.receipt';
export const SYSTEM_TOPIC_PREFIX = 'pushmesh.';
const RECEIPT_TTL = 86_400;
/** Received messages kept for the page until it listens (then handed over at once). */
const MAX_HELD_FOR_PAGE = 1_000;
/** Messages waiting to go; more are refused (ERR_QUEUE_FULL). */
const MAX_QUEUED = 4_096;
/** Retry backoff for refusals a sender retries (queue_full, storage_full, no_route). */
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;
/** The tab signs its attachment to the relay again this often while linked (as a node does, docs/routing.md). */
const ANNOUNCE_EVERY_MS = 3 * 3600_000;

export type DeliveryState = 'queued' | 'sent' | 'delivered' | 'expired' | 'rejected';

export interface DeliveryStatus {
  id: string;
  to: NodeId;
  state: DeliveryState;
  reason?: string;
  receipt: boolean;
  /** Unix ms of this state. */
  time: number;
}

/** A message for this tab, as the page gets it. */
export interface ReceivedMessage {
  id: string;
  from: NodeId;
  to: NodeId;
  topic: string;
  time: number;
  meta: Record<string, string>;
  /** JSON value, text, or bytes (Uint8Array), per `encoding`. */
  data: unknown;
  encoding: 'json' | 'text' | 'base64';
  /** Relays it came through, in order. */
  path: NodeId[];
}

export interface SendOptions {
  ttl?: number;
  urgency?: Urgency;
  /** RFC 8030 Topic: a newer message with the same one replaces this one where it waits. */
  replace?: string;
  meta?: Record<string, string>;
  /** Jump hosts, in order (docs/routing.md "Explicit jump hosts"). */
  via?: NodeId[];
  /** Ask the destination for a delivery receipt (status `delivered`). */
  receipt?: boolean;
  /** Send a string as text (`"encoding":"text"`) rather than as a JSON string. */
  text?: boolean;
  /** The destination's card, if it is not known yet (it is remembered). */
  card?: Card;
}

export interface ConnectOptions {
  /** IndexedDB database holding the identity; default "pushmesh". */
  dbName?: string;
  /** Name of the identity in it; default "self". */
  name?: string;
  /** Cards of nodes this tab will send to. */
  cards?: Card[];
  /** VAPID `sub`; default mailto:admin@pushmesh.invalid. */
  vapidSubject?: string;
  /** How long connect() waits for the first link; default 30 s. 0: do not wait. */
  timeoutMs?: number;
  /** Called on every link state change (also before connect() resolves). */
  onLink?: (e: LinkStateEvent) => void;
  /** Reconnection backoff (default 250 ms doubling to 30 s). */
  backoff?: { initialMs?: number; maxMs?: number; resetAfterMs?: number };
  /** Makes the WebSocket (default `new WebSocket(url, protocol)`): for tests, or another implementation. */
  webSocket?: WebSocketFactory;
}

type Events = {
  message: ReceivedMessage;
  status: DeliveryStatus;
  link: LinkStateEvent;
};
type Listener<K extends keyof Events> = (e: Events[K]) => void;

interface Queued {
  id: string;
  to: NodeId;
  bytes: Uint8Array;
  expiresAt: number;
  receipt: boolean;
  inFlight: boolean;
  notBefore: number;
  attempts: number;
}

/**
 * The tab's node. Make one with `connect(relayUrl)`. What it keeps in
 * IndexedDB across reloads: its identity, the cards it was given, the
 * message IDs it took (duplicates), and its messages the relay has not
 * taken yet.
 */
export class PushmeshClient {
  readonly #identity: BrowserIdentity;
  readonly #card: Card;
  readonly #vapid: VapidSigner;
  readonly #mac: SenderMacKeys;
  readonly #cards = new Map<NodeId, Card>();
  readonly #replay = new ReplayWindow();
  readonly #statuses = new Map<string, DeliveryStatus>();
  readonly #queue: Queued[] = [];
  readonly #listeners: { [K in keyof Events]: Set<Listener<K>> } = { message: new Set(), status: new Set(), link: new Set() };
  readonly #heldForPage: ReceivedMessage[] = [];
  /** Received messages that asked for a receipt and have not been handed to the page yet. */
  readonly #receiptDue = new Set<string>();
  readonly #conn: RelayConnection;
  readonly #relayUrl: string;
  #relay: NodeId | undefined;
  #relayCard: Card | undefined;
  #cardStore: CardStore | null = null;
  #seenStore: SeenStore | null = null;
  #outboxStore: OutboxStore | null = null;
  #seq = Date.now();
  #pumpTimer: ReturnType<typeof setTimeout> | undefined;
  #announceTimer: ReturnType<typeof setInterval> | undefined;
  /** IDs of the node's own protocol messages (receipts, announcements): no status events for the page. */
  readonly #quiet = new Set<string>();
  #closed = false;

  /** @internal use connect() */
  constructor(identity: BrowserIdentity, relayUrl: string, opts: ConnectOptions) {
    this.#identity = identity;
    this.#card = cardOf(identity);
    this.#vapid = new VapidSigner({ privateKey: identity.signingKey, publicKey: identity.publicKey, ...(opts.vapidSubject ? { subject: opts.vapidSubject } : {}) });
    this.#mac = new SenderMacKeys(identity.ecdhKey, identity.publicKey);
    const { url, relay } = parseRelayUrl(relayUrl);
    this.#relayUrl = url;
    this.#conn = new RelayConnection({
      url,
      identity,
      card: this.#card,
      ...(relay ? { expectRelay: relay } : {}),
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      ...(opts.webSocket ? { webSocket: opts.webSocket } : {}),
      userAgentVersion: '0.1.0',
      handler: { receive: (m) => this.#receive(m) },
      onUp: (link) => this.#onUp(link),
      onState: (e) => {
        opts.onLink?.(e);
        this.#emit('link', e);
      },
    });
  }

  /** This tab's node ID (base32 of SHA-256 of its public key). */
  get id(): NodeId {
    return this.#identity.id;
  }

  /** This tab's card: give it to nodes that should send to it (its endpoint is "": it is reached through its relay). */
  get card(): Card {
    return { ...this.#card, keys: { ...this.#card.keys } };
  }

  /** The relay's node ID, once a link was up. */
  get relayId(): NodeId | undefined {
    return this.#relay;
  }

  /** The relay's card (from the link handshake). */
  get relayCard(): Card | undefined {
    return this.#relayCard;
  }

  get relayUrl(): string {
    return this.#relayUrl;
  }

  /** Whether a link to the relay is up now. */
  get linked(): boolean {
    return this.#conn.link !== undefined;
  }

  /** Remembers a node's card (validated: ERR_BAD_CARD), so messages can be sealed to it; kept in IndexedDB across reloads. */
  async addCard(card: unknown): Promise<Card> {
    const c = await parseCard(card);
    this.#cards.set(c.id, c);
    await this.#cardStore?.put(c).catch(() => undefined);
    return c;
  }

  /** @internal the message IDs taken in earlier page loads (duplicates of them are dropped) */
  async useSeenStore(store: SeenStore | null): Promise<void> {
    this.#seenStore = store;
    for (const e of (await store?.load().catch(() => [])) ?? []) this.#replay.check(e.from, e.id, e.time);
  }

  /** @internal the cards kept from earlier page loads */
  async useCardStore(store: CardStore | null): Promise<void> {
    this.#cardStore = store;
    for (const c of (await store?.all().catch(() => [])) ?? []) if (!this.#cards.has(c.id)) this.#cards.set(c.id, c);
  }

  /** The card known for `id`, if any. */
  cardOf(id: NodeId): Card | undefined {
    if (id === this.#relay && this.#relayCard) return this.#relayCard;
    return this.#cards.get(id);
  }

  /**
   * Seals a message to `to` and queues it; resolves with its ID once it
   * is queued. Its progress: `on('status')`, `status(id)`. Errors:
   * ERR_BAD_ARGUMENT (bad `to`, reserved topic, options), ERR_NOT_FOUND
   * (no card for `to`), ERR_PAYLOAD_TOO_LARGE, ERR_BAD_MESSAGE,
   * ERR_QUEUE_FULL, ERR_UNAVAILABLE (closed).
   */
  async send(to: NodeId, topic: string, data: unknown, opts: SendOptions = {}): Promise<{ id: string }> {
    if (typeof topic !== 'string' || topic.startsWith(SYSTEM_TOPIC_PREFIX)) {
      throw new PushmeshError('ERR_BAD_ARGUMENT', `topic ${JSON.stringify(topic)} is reserved or not a string (topics starting with "${SYSTEM_TOPIC_PREFIX}" are the node's own)`);
    }
    let payload: Payload;
    if (data instanceof Uint8Array) payload = { kind: 'bytes', value: data };
    else if (opts.text) {
      if (typeof data !== 'string') throw new PushmeshError('ERR_BAD_ARGUMENT', 'text: true needs a string');
      payload = { kind: 'text', value: data };
    } else payload = { kind: 'json', value: data };
    return this.#send(to, topic, payload, opts);
  }

  async #send(to: NodeId, topic: string, data: Payload, opts: SendOptions, quiet = false): Promise<{ id: string }> {
    if (this.#closed) throw new PushmeshError('ERR_UNAVAILABLE', 'this client is closed');
    if (!isNodeId(to)) throw new PushmeshError('ERR_BAD_ARGUMENT', `"${String(to).slice(0, 60)}" is not a node ID`);
    if (to === this.id) throw new PushmeshError('ERR_BAD_ARGUMENT', 'a tab does not send to itself');
    if (opts.card) await this.addCard(opts.card);
    const card = this.cardOf(to);
    if (!card) throw new PushmeshError('ERR_NOT_FOUND', `no card for node ${to}: give it with addCard(card) or send(…, { card })`);
    const ttl = opts.ttl ?? DEFAULT_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL_SECONDS) throw new PushmeshError('ERR_BAD_ARGUMENT', `ttl must be a whole number of seconds, 0 to ${MAX_TTL_SECONDS}`);
    const via = opts.via ?? [];
    for (const v of via) if (!isNodeId(v) || v === this.id) throw new PushmeshError('ERR_BAD_ARGUMENT', `via entry "${String(v).slice(0, 60)}" is not another node's ID`);
    if (new Set(via).size !== via.length) throw new PushmeshError('ERR_BAD_ARGUMENT', 'via names a node twice');
    if (this.#queue.length >= MAX_QUEUED) throw new PushmeshError('ERR_QUEUE_FULL', `${MAX_QUEUED} messages are waiting already`);
    const now = Date.now();
    const msg: Message = {
      id: newMessageId(),
      from: this.id,
      to,
      topic,
      time: now,
      ttl,
      urgency: opts.urgency ?? 'normal',
      ...(opts.replace ? { replace: opts.replace } : {}),
      meta: { ...(opts.meta ?? {}) },
      data,
      ...(opts.receipt ? { receipt: true } : {}),
    };
    const wire = await sealForCard(msg, card, { vapid: this.#vapid, mac: this.#mac }, { via });
    const receipt = opts.receipt === true;
    const q: Queued = {
      id: msg.id,
      to,
      bytes: encodeWebpushMessage(wire),
      // Within the TTL, and within the VAPID token's life (12 h; a relay refuses an expired token).
      expiresAt: now + Math.min(ttl === 0 ? 10_000 : ttl * 1000, 11 * 3600_000),
      receipt,
      inFlight: false,
      notBefore: 0,
      attempts: 0,
    };
    // The page's own messages wait in IndexedDB too (a reload sends them); the node's own (receipts, announcements) do not.
    if (!quiet) await this.#outboxStore?.put({ id: q.id, to, bytes: q.bytes, expiresAt: q.expiresAt, receipt, seq: this.#seq++ }).catch(() => undefined);
    this.#queue.push(q);
    if (quiet) this.#quiet.add(msg.id);
    this.#setStatus(msg.id, to, 'queued', receipt);
    this.#pump();
    return { id: msg.id };
  }

  /** The latest status of a message this tab sent (this page load only). */
  status(id: string): DeliveryStatus | undefined {
    const s = this.#statuses.get(id);
    return s ? { ...s } : undefined;
  }

  /**
   * `message`: a message for this tab (messages that came before the
   * first listener are handed to it at once); `status`: a sent message's
   * new state; `link`: the relay link's state. Returns a function that
   * removes the listener.
   */
  on<K extends keyof Events>(event: K, fn: Listener<K>): () => void {
    const set = this.#listeners[event] as Set<Listener<K>>;
    set.add(fn);
    if (event === 'message' && this.#heldForPage.length > 0) {
      const held = this.#heldForPage.splice(0);
      queueMicrotask(() => {
        for (const m of held) this.#handToPage(m);
      });
    }
    return () => this.off(event, fn);
  }

  off<K extends keyof Events>(event: K, fn: Listener<K>): void {
    (this.#listeners[event] as Set<Listener<K>>).delete(fn);
  }

  /** Closes the link and stops; messages still queued here are dropped. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#pumpTimer);
    clearInterval(this.#announceTimer);
    this.#conn.close();
    this.#cardStore?.close();
    this.#seenStore?.close();
    this.#outboxStore?.close();
  }

  /** @internal */
  start(): void {
    this.#conn.start();
  }

  /** @internal */
  whenLinked(): Promise<RelayLink> {
    return this.#conn.whenUp();
  }

  #emit<K extends keyof Events>(event: K, e: Events[K]): void {
    for (const fn of this.#listeners[event] as Set<Listener<K>>) {
      try {
        fn(e);
      } catch (err) {
        // A page's listener that throws does not stop the node.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  #setStatus(id: string, to: NodeId, state: DeliveryState, receipt: boolean, reason?: string): void {
    if (this.#quiet.has(id)) {
      if (state !== 'queued') this.#quiet.delete(id);
      return;
    }
    const s: DeliveryStatus = { id, to, state, receipt, time: Date.now(), ...(reason ? { reason } : {}) };
    this.#statuses.set(id, s);
    if (this.#statuses.size > 10_000) this.#statuses.delete(this.#statuses.keys().next().value!);
    this.#emit('status', { ...s });
  }

  #onUp(link: RelayLink): void {
    this.#relay = link.relay;
    this.#relayCard = link.relayCard;
    for (const q of this.#queue) q.notBefore = 0;
    this.#pump();
    void this.#announce();
    clearInterval(this.#announceTimer);
    this.#announceTimer = setInterval(() => void this.#announce(), ANNOUNCE_EVERY_MS);
  }

  /**
   * Tells the relay, in a signed attachment, that this tab is reachable
   * through it: the relay then announces the tab to its upstreams, so
   * nodes beyond it can reach the tab (docs/browser.md).
   */
  async #announce(): Promise<void> {
    const relay = this.#relay;
    if (!relay || !this.#relayCard || this.#closed) return;
    try {
      const announcement = await attachmentAnnouncement(this.#identity, relay, Date.now() + MAX_ATTACHMENT_TTL_MS - 120_000);
      await this.#send(relay, ROUTES_TOPIC, { kind: 'json', value: { v: 1, announcement } }, { ttl: 600, urgency: 'high' }, true);
    } catch {
      /* the next link up (or the timer) tries again */
    }
  }

  /** Sends what can go now over the link that is up; schedules itself for retries. */
  #pump(): void {
    clearTimeout(this.#pumpTimer);
    this.#pumpTimer = undefined;
    if (this.#closed) return;
    const now = Date.now();
    for (const q of [...this.#queue]) {
      if (!q.inFlight && q.expiresAt <= now) {
        this.#drop(q);
        this.#setStatus(q.id, q.to, 'expired', q.receipt, 'its TTL ran out before the relay took it');
      }
    }
    const link = this.#conn.link;
    let next = Infinity;
    for (const q of this.#queue) {
      if (q.inFlight) continue;
      next = Math.min(next, q.expiresAt);
      if (q.notBefore > now) {
        next = Math.min(next, q.notBefore);
        continue;
      }
      if (!link || link.inFlight >= 256) continue;
      q.inFlight = true;
      q.attempts++;
      link.send(q.bytes).then(
        (o) => this.#answered(q, o),
        () => {
          // The link ended before the answer: the outcome is unknown; sent again (the destination drops duplicates).
          q.inFlight = false;
          this.#pump();
        },
      );
    }
    if (next !== Infinity) this.#pumpTimer = setTimeout(() => this.#pump(), Math.max(0, Math.min(next - now, RETRY_MAX_MS)));
  }

  #answered(q: Queued, o: Outcome): void {
    q.inFlight = false;
    if (o.ok) {
      this.#drop(q);
      // The receipt may come back before the relay's answer (the destination sends it before it ACKs): delivered stays.
      if (this.#statuses.get(q.id)?.state === 'delivered') return this.#pump();
      this.#setStatus(q.id, q.to, 'sent', q.receipt);
      if (q.receipt) {
        const left = q.expiresAt - Date.now() + 2_000;
        setTimeout(() => {
          if (this.#statuses.get(q.id)?.state === 'sent') this.#setStatus(q.id, q.to, 'expired', true, 'no receipt before its TTL ran out');
        }, Math.max(0, Math.min(left, 2_147_000_000)));
      }
    } else if (o.reason === 'queue_full' || o.reason === 'storage_full' || o.reason === 'no_route') {
      q.notBefore = Date.now() + Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(q.attempts - 1, 10)) * (0.5 + Math.random() / 2);
    } else {
      this.#drop(q);
      this.#setStatus(q.id, q.to, 'rejected', q.receipt, o.reason);
    }
    this.#pump();
  }

  #drop(q: Queued): void {
    const i = this.#queue.indexOf(q);
    if (i >= 0) this.#queue.splice(i, 1);
    this.#outboxStore?.remove(q.id).catch(() => undefined);
  }

  /** @internal what earlier page loads queued and the relay did not take yet: queued again, in order */
  async useOutboxStore(store: OutboxStore | null): Promise<void> {
    this.#outboxStore = store;
    const now = Date.now();
    for (const m of (await store?.all().catch(() => [])) ?? []) {
      if (this.#queue.some((q) => q.id === m.id)) continue;
      if (m.expiresAt <= now) {
        await store?.remove(m.id).catch(() => undefined);
        continue;
      }
      this.#seq = Math.max(this.#seq, m.seq + 1);
      this.#queue.push({ id: m.id, to: m.to, bytes: m.bytes, expiresAt: m.expiresAt, receipt: m.receipt, inFlight: false, notBefore: 0, attempts: 0 });
      this.#setStatus(m.id, m.to, 'queued', m.receipt);
    }
  }

  /** Messages of one response from the relay → their answers, in order. */
  async #receive(values: Uint8Array[]): Promise<Outcome[]> {
    const out: Outcome[] = [];
    const taken: SeenEntry[] = [];
    for (const bytes of values) {
      const r = await openForSelf(bytes, this.#identity, this.#mac, this.#replay);
      if (!r.ok) {
        out.push({ ok: false, reason: r.reason });
        continue;
      }
      out.push({ ok: true });
      if (r.duplicate) continue;
      const { wire, message: p } = r;
      taken.push({ from: wire.from, id: wire.id, time: wire.time });
      if (p.topic.startsWith(SYSTEM_TOPIC_PREFIX)) {
        if (p.topic === RECEIPT_TOPIC) this.#onReceipt(wire.from, p.data);
        // The relay asks for a full announcement (it missed one): this tab's is always full.
        else if (p.topic === ROUTES_TOPIC && wire.from === this.#relay) void this.#announce();
        continue; // other reserved topics are a node's protocols a tab does not speak
      }
      const encoding = p.data.kind === 'bytes' ? 'base64' : p.data.kind;
      const m: ReceivedMessage = {
        id: wire.id,
        from: wire.from,
        to: wire.to,
        topic: p.topic,
        time: p.time,
        meta: p.meta,
        data: p.data.value,
        encoding,
        path: [...wire.path],
      };
      if (p.receipt) this.#receiptDue.add(`${m.from}/${m.id}`);
      if (this.#listeners.message.size === 0) {
        if (this.#heldForPage.length >= MAX_HELD_FOR_PAGE) this.#heldForPage.shift();
        this.#heldForPage.push(m);
      } else this.#handToPage(m);
    }
    // On disk before the ACKs go: a copy handed over again after a reload is dropped.
    await this.#seenStore?.add(taken).catch(() => undefined);
    return out;
  }

  /** The page has the message: a receipt goes back if one was asked for and the origin's card is known. */
  #handToPage(m: ReceivedMessage): void {
    this.#emit('message', m);
    const key = `${m.from}/${m.id}`;
    if (!this.#receiptDue.delete(key)) return;
    if (!this.cardOf(m.from)) return; // no card for the origin: no receipt (docs/browser.md)
    const data = { v: 1, re: m.id, state: 'delivered', time: Date.now() };
    this.#send(m.from, RECEIPT_TOPIC, { kind: 'json', value: data }, { ttl: RECEIPT_TTL }, true).catch(() => undefined);
  }

  #onReceipt(from: NodeId, data: Payload): void {
    if (data.kind !== 'json' || data.value === null || typeof data.value !== 'object') return;
    const v = data.value as Record<string, unknown>;
    if (v['v'] !== 1 || typeof v['re'] !== 'string' || v['state'] !== 'delivered') return;
    const s = this.#statuses.get(v['re']);
    // Only from the node the message was for.
    if (!s || s.to !== from || s.state === 'delivered') return;
    this.#setStatus(s.id, s.to, 'delivered', s.receipt);
  }
}

/**
 * Makes this tab a node linked to the relay at `relayUrl`
 * (`wss://[RELAY-ID@]HOST:PORT/ws`): loads (or creates) its identity
 * from IndexedDB and resolves once the first link is up. Rejects if the
 * relay refuses the tab (ERR_PEER_REFUSED) or no link came up within
 * `timeoutMs` (ERR_TIMEOUT); the client is closed then.
 */
export async function connect(relayUrl: string, opts: ConnectOptions = {}): Promise<PushmeshClient> {
  const identity = await loadOrCreateIdentity({ ...(opts.dbName ? { dbName: opts.dbName } : {}), ...(opts.name ? { name: opts.name } : {}) });
  const client = new PushmeshClient(identity, relayUrl, opts);
  await client.useCardStore(await openCardStore(opts.dbName ?? 'pushmesh'));
  await client.useSeenStore(await openSeenStore(opts.dbName ?? 'pushmesh'));
  await client.useOutboxStore(await openOutboxStore(opts.dbName ?? 'pushmesh', opts.name ?? 'self'));
  for (const c of opts.cards ?? []) await client.addCard(c);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  if (timeoutMs === 0) {
    client.start();
    return client;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  let offLink: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      offLink = client.on('link', (e) => {
        if (e.state === 'up') resolve();
        if (e.state === 'refused') reject(new PushmeshError('ERR_PEER_REFUSED', `the relay refused this tab: ${e.reason}: ${e.detail ?? ''}`));
      });
      timer = setTimeout(() => reject(new PushmeshError('ERR_TIMEOUT', `no link to ${relayUrl} within ${timeoutMs} ms`)), timeoutMs);
      client.start();
    });
  } catch (err) {
    client.close();
    throw err;
  } finally {
    clearTimeout(timer);
    offLink?.();
  }
  return client;
}
