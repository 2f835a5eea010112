/**
 * A browser tab's link to a relay (docs/browser.md, docs/transports.md
 * "WebSocket specifics" and "The ADS link protocol"): one WebSocket to
 * `wss://HOST:PORT/ws` with subprotocol `pushmesh.ads.v2`.
 *
 * 1. The relay sends its challenge (text); the tab answers with its proof
 *    (text), binding "none" (a page cannot read the TLS exporter).
 * 2. ADS, the tab being the client: it subscribes to the relay's card
 *    (giving its own card in `node.metadata.pushmesh_card`, so the relay
 *    can seal to it and keep it while the tab is away) and to its
 *    messages; it ACKs the card, and is up.
 * 3. Messages from the relay come in responses, each answered in order
 *    with one ACK or NACK (per-message statuses); messages from the tab
 *    go in requests (field 1000), one per request, and the k-th status
 *    response answers the k-th request. The tab does not ask for answers
 *    carried in responses of messages (base protocol only).
 *
 * `RelayLink` is one connection; `RelayConnection` keeps one up, dialing
 * again after a backoff (250 ms doubling to 30 s, full jitter, reset once
 * a link stayed up 10 s; 30 s after a refusal), as a node's dial loop does.
 */
import { fromBase64Url, toBase64Url } from './core/bytes.js';
import { answerChallenge } from './core/challenge.js';
import { PushmeshError } from './core/errors.js';
import type { BrowserIdentity } from './core/identity.js';
import type { Card } from './core/card.js';
import { nodeIdOf, isNodeId, type NodeId } from './core/node-id.js';
import {
  NODE_CARD_TYPE_URL,
  STATUS_TYPE_URL,
  WEBPUSH_MESSAGE_TYPE_URL,
  decodeDiscoveryResponse,
  decodeNodeCard,
  decodeStatus,
  encodeDiscoveryRequest,
  encodeStatus,
  NACK_CODES,
  NACK_REASONS,
  type Any,
  type DiscoveryResponse,
  type NackReason,
} from './link-support.js';

export const WS_SUBPROTOCOL = 'pushmesh.ads.v2';
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Messages the tab keeps unanswered on a link (the relay refuses more than 1024). */
export const MAX_IN_FLIGHT = 256;

export { NACK_REASONS, type NackReason };
export type Outcome = { ok: true } | { ok: false; reason: NackReason };
export const ACCEPTED: Outcome = Object.freeze({ ok: true });

/** Why a link ended, as the relay's close code says (docs/transports.md "Closing"). */
export type LinkEndReason =
  | 'normal'
  | 'shutdown'
  | 'unauthenticated'
  | 'forbidden'
  | 'protocol_error'
  | 'too_large'
  | 'flood'
  | 'handshake_timeout'
  | 'network';

const CLOSE_REASONS: Record<number, LinkEndReason> = {
  1000: 'normal',
  1001: 'shutdown',
  1002: 'protocol_error',
  1009: 'too_large',
  4401: 'unauthenticated',
  4403: 'forbidden',
  4408: 'handshake_timeout',
  4429: 'flood',
};

export class LinkError extends PushmeshError {
  readonly reason: LinkEndReason;
  constructor(reason: LinkEndReason, message: string) {
    super(reason === 'unauthenticated' || reason === 'forbidden' ? 'ERR_PEER_REFUSED' : 'ERR_LINK_CLOSED', message);
    this.reason = reason;
  }
}

/** What the link hands its owner. */
export interface LinkHandler {
  /** Messages of one response, in order; the outcomes answer them in the same order. Must not throw. */
  receive(messages: Uint8Array[]): Promise<Outcome[]>;
}

/** The part of the WebSocket API the link uses (a test can give another implementation). */
export type WebSocketFactory = (url: string, protocol: string) => WebSocket;

export interface RelayLinkOptions {
  url: string;
  identity: Pick<BrowserIdentity, 'id' | 'publicKey' | 'signingKey'>;
  card: Card;
  handler: LinkHandler;
  /** The relay's node ID, if known (from `wss://ID@HOST/ws` or given): a challenge naming another listener is refused. */
  expectRelay?: NodeId;
  userAgentVersion?: string;
  handshakeTimeoutMs?: number;
  webSocket?: WebSocketFactory;
}

/** Splits `wss://[ID@]HOST[:PORT]/ws`: the URL to open (without the ID) and the ID, if any. */
export function parseRelayUrl(text: string): { url: string; relay?: NodeId } {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new PushmeshError('ERR_BAD_ARGUMENT', `relay URL ${JSON.stringify(text)} is not a URL`);
  }
  if (u.protocol !== 'wss:' && u.protocol !== 'ws:') throw new PushmeshError('ERR_BAD_ARGUMENT', `relay URL ${text} must be wss://HOST[:PORT]/ws`);
  if (u.password !== '' || u.search !== '' || u.hash !== '') throw new PushmeshError('ERR_BAD_ARGUMENT', `relay URL ${text} has a password, query or fragment`);
  const id = u.username;
  if (id !== '' && !isNodeId(id)) throw new PushmeshError('ERR_BAD_ARGUMENT', `relay URL ${text}: "${id}@" is not a node ID`);
  u.username = '';
  if (u.pathname === '/') u.pathname = '/ws';
  return id === '' ? { url: u.href } : { url: u.href, relay: id };
}

interface PendingSend {
  resolve: (o: Outcome) => void;
  reject: (e: Error) => void;
}

/**
 * One WebSocket link to a relay. `start()` resolves once the handshake is
 * done (the relay's card is in), or rejects with a LinkError; `ended`
 * resolves when the link is over, with why.
 */
export class RelayLink {
  readonly #o: RelayLinkOptions;
  #ws: WebSocket | undefined;
  #relay: NodeId | undefined;
  #relayCard: Card | undefined;
  #up = false;
  #over = false;
  #endReason: LinkEndReason = 'network';
  /** One request of one message each, in order: the k-th status response answers the k-th. */
  readonly #sent: PendingSend[] = [];
  /** Responses of messages are handled one after the other; their answers go out in order. */
  #inbound: Promise<void> = Promise.resolve();
  #lastAcceptedVersion = '';
  #resolveStart!: () => void;
  #rejectStart!: (e: Error) => void;
  readonly #started: Promise<void>;
  #resolveEnded!: (r: { reason: LinkEndReason; detail: string; wasUp: boolean }) => void;
  readonly ended: Promise<{ reason: LinkEndReason; detail: string; wasUp: boolean }>;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Text frames the link accepts: 1 (the challenge), then none. */
  #challengeSeen = false;

  constructor(o: RelayLinkOptions) {
    this.#o = o;
    this.#started = new Promise((res, rej) => {
      this.#resolveStart = res;
      this.#rejectStart = rej;
    });
    this.#started.catch(() => undefined);
    this.ended = new Promise((res) => (this.#resolveEnded = res));
  }

  /** The relay's node ID, once its challenge named it. */
  get relay(): NodeId | undefined {
    return this.#relay;
  }

  get relayCard(): Card | undefined {
    return this.#relayCard;
  }

  get isUp(): boolean {
    return this.#up && !this.#over;
  }

  get inFlight(): number {
    return this.#sent.length;
  }

  start(): Promise<void> {
    const make = this.#o.webSocket ?? ((url, protocol) => new WebSocket(url, protocol));
    let ws: WebSocket;
    try {
      ws = make(this.#o.url, WS_SUBPROTOCOL);
    } catch (err) {
      this.#end('network', `cannot open ${this.#o.url}: ${(err as Error).message}`);
      return this.#started;
    }
    this.#ws = ws;
    ws.binaryType = 'arraybuffer';
    this.#timer = setTimeout(() => this.#fail('handshake_timeout', 'no handshake within the timeout'), this.#o.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS);
    ws.onmessage = (ev: MessageEvent) => this.#onFrame(ev.data);
    ws.onclose = (ev: CloseEvent) => {
      const reason = CLOSE_REASONS[ev.code] ?? 'network';
      this.#end(reason, ev.reason || `closed (${ev.code})`);
    };
    ws.onerror = () => undefined; // followed by 'close'
    return this.#started;
  }

  /** Sends one encoded WebpushMessage; resolves with the relay's ACK or NACK, rejects (LinkError) if the link ends first. */
  send(wire: Uint8Array): Promise<Outcome> {
    if (!this.isUp || !this.#ws) return Promise.reject(new LinkError('network', 'the link is not up'));
    return new Promise<Outcome>((resolve, reject) => {
      this.#sent.push({ resolve, reject });
      this.#write(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, pushmeshResources: [{ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value: wire }] }));
    });
  }

  /** Ends the link now (close code 1000); sends in flight fail with LinkError. */
  close(): void {
    if (this.#over) return;
    try {
      this.#ws?.close(1000, 'normal: closed by the tab');
    } catch {
      /* already closing */
    }
    this.#end('normal', 'closed by the tab');
  }

  #write(bytes: Uint8Array): void {
    if (this.#over || !this.#ws || this.#ws.readyState !== 1) return;
    this.#ws.send(bytes);
  }

  #onFrame(data: unknown): void {
    if (this.#over) return;
    if (typeof data === 'string') {
      if (this.#challengeSeen) return this.#fail('protocol_error', 'a text frame after the challenge');
      this.#challengeSeen = true;
      void this.#answer(data);
      return;
    }
    if (!this.#challengeSeen) return this.#fail('protocol_error', 'a binary frame before the challenge');
    let res: DiscoveryResponse;
    try {
      res = decodeDiscoveryResponse(new Uint8Array(data as ArrayBuffer));
    } catch (err) {
      return this.#fail('protocol_error', `a frame that is not a DiscoveryResponse: ${(err as Error).message}`);
    }
    if (res.controlPlane && res.controlPlane.identifier !== '' && res.controlPlane.identifier !== this.#relay) {
      return this.#fail('protocol_error', 'control_plane.identifier is not the relay that signed the challenge');
    }
    if (res.pushmeshAnswers && res.pushmeshAnswers.length > 0) return this.#fail('protocol_error', 'answers carried in a response (never asked for)');
    switch (res.typeUrl) {
      case NODE_CARD_TYPE_URL:
        // In line with responses of messages: the card is checked (async) before any message after it is read.
        this.#inbound = this.#inbound.then(() => this.#onCard(res));
        return;
      case WEBPUSH_MESSAGE_TYPE_URL:
        this.#onMessages(res);
        return;
      case STATUS_TYPE_URL:
        this.#onStatuses(res);
        return;
      default:
        this.#fail('protocol_error', `a response of unexpected type ${JSON.stringify(res.typeUrl.slice(0, 100))}`);
    }
  }

  async #answer(text: string): Promise<void> {
    let proof: string;
    try {
      const answered = await answerChallenge(text, this.#o.identity);
      if (this.#o.expectRelay !== undefined && answered.challenge.listener !== this.#o.expectRelay) {
        return this.#fail('protocol_error', `the relay's challenge names ${answered.challenge.listener}, not ${this.#o.expectRelay}`);
      }
      this.#relay = answered.challenge.listener;
      proof = answered.proof;
    } catch (err) {
      return this.#fail('protocol_error', `bad challenge: ${(err as Error).message}`);
    }
    if (this.#over) return;
    this.#ws!.send(proof);
    // The first request may follow the proof at once (docs/transports.md).
    this.#write(
      encodeDiscoveryRequest({
        typeUrl: NODE_CARD_TYPE_URL,
        node: {
          id: this.#o.identity.id,
          userAgentName: 'pushmesh-browser',
          userAgentVersion: this.#o.userAgentVersion ?? '0',
          clientFeatures: [],
          metadata: { pushmesh_card: { id: this.#o.card.id, endpoint: this.#o.card.endpoint, keys: { ...this.#o.card.keys } } },
        },
      }),
    );
    this.#write(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL }));
  }

  async #onCard(res: DiscoveryResponse): Promise<void> {
    const any = res.resources[0];
    if (res.resources.length !== 1 || !any || any.typeUrl !== NODE_CARD_TYPE_URL) return this.#fail('protocol_error', 'the card response must hold one card');
    let card: Card;
    try {
      const f = decodeNodeCard(any.value);
      const key = fromBase64Url(f.p256dh);
      if (key.length !== 65 || key[0] !== 4 || fromBase64Url(f.auth).length !== 16) throw new Error('bad keys');
      if ((await nodeIdOf(key)) !== f.id || f.id !== this.#relay) throw new Error("the card is not the relay's");
      card = { id: f.id, endpoint: f.endpoint, keys: { p256dh: toBase64Url(key), auth: f.auth } };
    } catch (err) {
      return this.#fail('protocol_error', `bad card: ${(err as Error).message}`);
    }
    if (this.#over) return;
    this.#relayCard = card;
    this.#write(encodeDiscoveryRequest({ typeUrl: NODE_CARD_TYPE_URL, responseNonce: res.nonce, versionInfo: res.versionInfo }));
    if (!this.#up) {
      this.#up = true;
      clearTimeout(this.#timer);
      this.#resolveStart();
    }
  }

  #onMessages(res: DiscoveryResponse): void {
    const values: Uint8Array[] = [];
    let wrongType = false;
    for (const r of res.resources) {
      if (r.typeUrl !== WEBPUSH_MESSAGE_TYPE_URL) wrongType = true;
      values.push(r.value);
    }
    this.#inbound = this.#inbound.then(async () => {
      if (this.#over) return;
      if (!this.#up) return this.#fail('protocol_error', 'messages before the card');
      let outcomes: Outcome[];
      if (wrongType) outcomes = values.map(() => ({ ok: false, reason: 'bad_message' }) as Outcome);
      else {
        try {
          outcomes = await this.#o.handler.receive(values);
        } catch {
          outcomes = values.map(() => ({ ok: false, reason: 'queue_full' }) as Outcome);
        }
      }
      this.#answerResponse(res, outcomes);
    });
  }

  #answerResponse(res: DiscoveryResponse, outcomes: Outcome[]): void {
    const refused = outcomes.find((o): o is { ok: false; reason: NackReason } => !o.ok);
    if (!refused) {
      this.#lastAcceptedVersion = res.versionInfo;
      this.#write(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, responseNonce: res.nonce, versionInfo: res.versionInfo }));
      return;
    }
    this.#write(
      encodeDiscoveryRequest({
        typeUrl: WEBPUSH_MESSAGE_TYPE_URL,
        responseNonce: res.nonce,
        versionInfo: this.#lastAcceptedVersion,
        errorDetail: {
          code: NACK_CODES[refused.reason],
          message: refused.reason,
          details: outcomes.map((o) => statusAny(o)),
        },
      }),
    );
  }

  #onStatuses(res: DiscoveryResponse): void {
    const pending = this.#sent.shift();
    if (!pending || res.resources.length > 1) return this.#fail('protocol_error', 'a status response that answers no request');
    const any = res.resources[0];
    if (!any) return pending.resolve(ACCEPTED);
    try {
      pending.resolve(outcomeOfAny(any));
    } catch (err) {
      pending.reject(err as Error);
      this.#fail('protocol_error', `bad status: ${(err as Error).message}`);
    }
  }

  #fail(reason: LinkEndReason, detail: string): void {
    if (this.#over) return;
    const code = reason === 'protocol_error' ? 1002 : reason === 'handshake_timeout' ? 4408 : 1000;
    try {
      this.#ws?.close(code, `${reason}: ${detail}`.slice(0, 120));
    } catch {
      /* closing already */
    }
    this.#end(reason, detail);
  }

  #end(reason: LinkEndReason, detail: string): void {
    if (this.#over) return;
    this.#over = true;
    this.#endReason = reason;
    clearTimeout(this.#timer);
    if (this.#ws) {
      this.#ws.onmessage = null;
      this.#ws.onclose = null;
    }
    const err = new LinkError(reason, `link to the relay ended (${reason}): ${detail}`);
    for (const p of this.#sent.splice(0)) p.reject(err);
    this.#rejectStart(err);
    this.#resolveEnded({ reason, detail, wasUp: this.#up });
  }

  get endReason(): LinkEndReason {
    return this.#endReason;
  }
}

function statusAny(o: Outcome): Any {
  if (o.ok) return { typeUrl: STATUS_TYPE_URL, value: new Uint8Array(0) };
  return { typeUrl: STATUS_TYPE_URL, value: encodeStatus({ code: NACK_CODES[o.reason], message: o.reason, details: [] }) };
}

/** One per-message answer: code 0 accepted; otherwise its reason token (an unknown one reads as bad_message). */
export function outcomeOfAny(any: Any): Outcome {
  if (any.typeUrl !== STATUS_TYPE_URL) throw new PushmeshError('ERR_BAD_MESSAGE', 'an answer that is not a google.rpc.Status');
  if (any.value.length === 0) return ACCEPTED;
  const s = decodeStatus(any.value);
  if (s.code === 0) return ACCEPTED;
  const reason = (NACK_REASONS as readonly string[]).includes(s.message) ? (s.message as NackReason) : 'bad_message';
  return { ok: false, reason };
}

/** What the owner hears about the link. */
export interface LinkStateEvent {
  state: 'connecting' | 'up' | 'down' | 'refused' | 'closed';
  url: string;
  relay?: NodeId;
  reason?: LinkEndReason;
  detail?: string;
  /** Before the next dial (state down/refused). */
  retryInMs?: number;
}

export interface RelayConnectionOptions extends Omit<RelayLinkOptions, 'url'> {
  url: string;
  onState?: (e: LinkStateEvent) => void;
  onUp?: (link: RelayLink) => void;
  /** Backoff: first wait (default 250 ms), longest (default 30 s), how long a link must stay up to reset it (default 10 s). */
  backoff?: { initialMs?: number; maxMs?: number; resetAfterMs?: number };
  random?: () => number;
  /** Schedules the next dial after `ms` (tests); default setTimeout. Returns a cancel function. */
  schedule?: (dial: () => void, ms: number) => () => void;
}

/**
 * Keeps one link to the relay up: dials, and after the link ends (or a
 * dial fails) dials again after an exponential backoff with full jitter;
 * a refusal (unauthenticated, forbidden) waits the longest backoff.
 */
export class RelayConnection {
  readonly #o: RelayConnectionOptions;
  #link: RelayLink | undefined;
  #closed = false;
  #attempt = 0;
  #cancelWait: (() => void) | undefined;
  #waiters: Array<(l: RelayLink) => void> = [];

  constructor(o: RelayConnectionOptions) {
    this.#o = o;
  }

  /** The link if it is up now. */
  get link(): RelayLink | undefined {
    return this.#link?.isUp ? this.#link : undefined;
  }

  start(): void {
    void this.#dial();
  }

  /** Resolves with the next link that is up (at once if one is). */
  whenUp(): Promise<RelayLink> {
    const l = this.link;
    if (l) return Promise.resolve(l);
    return new Promise((res) => this.#waiters.push(res));
  }

  close(): void {
    this.#closed = true;
    this.#cancelWait?.();
    this.#link?.close();
    this.#o.onState?.({ state: 'closed', url: this.#o.url });
  }

  async #dial(): Promise<void> {
    if (this.#closed) return;
    this.#o.onState?.({ state: 'connecting', url: this.#o.url });
    const link = new RelayLink(this.#o);
    this.#link = link;
    let upAt = 0;
    try {
      await link.start();
      upAt = Date.now();
      if (this.#closed) return link.close();
      this.#o.onState?.({ state: 'up', url: this.#o.url, ...(link.relay ? { relay: link.relay } : {}) });
      this.#o.onUp?.(link);
      for (const w of this.#waiters.splice(0)) w(link);
    } catch {
      /* reported below, from `ended` */
    }
    const end = await link.ended;
    if (this.#closed) return;
    const b = this.#o.backoff ?? {};
    const max = b.maxMs ?? 30_000;
    if (upAt !== 0 && Date.now() - upAt >= (b.resetAfterMs ?? 10_000)) this.#attempt = 0;
    const refused = end.reason === 'unauthenticated' || end.reason === 'forbidden';
    const ceiling = Math.min(max, (b.initialMs ?? 250) * 2 ** Math.min(this.#attempt, 20));
    const wait = refused ? max : Math.floor((this.#o.random ?? Math.random)() * ceiling);
    this.#attempt++;
    this.#o.onState?.({
      state: refused ? 'refused' : 'down',
      url: this.#o.url,
      ...(link.relay ? { relay: link.relay } : {}),
      reason: end.reason,
      detail: end.detail,
      retryInMs: wait,
    });
    const dial = (): void => void this.#dial();
    if (this.#o.schedule) this.#cancelWait = this.#o.schedule(dial, wait);
    else {
      const timer = setTimeout(dial, wait);
      this.#cancelWait = () => clearTimeout(timer);
    }
  }
}
