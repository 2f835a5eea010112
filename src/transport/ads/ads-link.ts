import type { Logger } from 'pino';
import { isPushmeshError, PushmeshError } from '../../errors/index.js';
import type { Card, NodeId } from '../../identity/types.js';
import { WEBPUSH_MESSAGE_TYPE_URL } from '../../proto/any.js';
import { nackReasonForError, type NackReason } from '../../proto/status.js';
import type { Any } from '../../proto/types.js';
import { decodeWebpushMessage } from '../../proto/webpush-message.js';
import { InboundQueue } from '../inbound-queue.js';
import type { LinkLimits } from '../link-limits.js';
import { TokenBucket, WindowCounter } from '../rate-limit.js';
import type {
  InboundMessage,
  Link,
  LinkClosed,
  LinkCloseReason,
  LinkStats,
  MisbehaviorKind,
  PeerIdentity,
  SendOptions,
  SendOutcome,
  TransportKind,
} from '../types.js';
import { refused } from './ads-frames.js';
import { FlowHolds } from './flow-holds.js';
import type { FrameChannel } from './frame-channel.js';
import { InboundBatch, InboundItem } from './inbound-batch.js';
import { PendingSend, SendQueue, linkClosedError } from './outbound-queue.js';

export interface AdsLinkInit {
  transport: TransportKind;
  channel: FrameChannel;
  /** This node. */
  self: { id: NodeId; card: Card | undefined; version: string };
  /** The peer, as its key proved it. */
  peer: PeerIdentity;
  limits: LinkLimits;
  logger: Logger;
  /** Told about every refused input and every cut-off peer. */
  onMisbehavior?: (kind: MisbehaviorKind, link: Link) => void;
}

type State = 'handshake' | 'open' | 'draining' | 'closed';

/**
 * A link speaking the ADS protocol (docs/transports.md) over any frame
 * channel. This base class holds what both ends share — the bounded send
 * queue and window, batching, inbound batches answered in order, limits,
 * close vs drain — and the two subclasses put it into DiscoveryRequest
 * (client, the side that dialed) and DiscoveryResponse (server) frames.
 */
export abstract class AdsLink implements Link {
  readonly transport: TransportKind;
  abstract readonly direction: 'inbound' | 'outbound';
  readonly peer: PeerIdentity;
  readonly since = Date.now();
  readonly closed: Promise<LinkClosed>;
  /** Resolves when the handshake is done; rejects if the link closes first. */
  readonly ready: Promise<void>;
  protected readonly log: Logger;
  protected readonly limits: LinkLimits;
  protected readonly self: AdsLinkInit['self'];
  readonly #channel: FrameChannel;
  readonly #onMisbehavior: AdsLinkInit['onMisbehavior'];
  #state: State = 'handshake';
  #peerCard: Card | undefined;
  readonly #queue = new SendQueue();
  #inFlight = 0;
  #writable = true;
  #flushScheduled = false;
  #answersScheduled = false;
  readonly #inboundFifo: InboundBatch[] = [];
  #inboundUnanswered = 0;
  readonly #incoming = new InboundQueue<InboundMessage>();
  /** Flows whose later messages wait for a refused one to come again (ordered flows, docs/transports.md). */
  readonly #holds = new FlowHolds();
  readonly #bucket: TokenBucket;
  readonly #flood: WindowCounter;
  readonly #stats: LinkStats = { sent: 0, acked: 0, nacked: 0, received: 0, refused: 0, inFlight: 0, queued: 0, bytesIn: 0, bytesOut: 0, lastReceivedAt: null };
  #resolveClosed!: (c: LinkClosed) => void;
  #resolveReady!: () => void;
  #rejectReady!: (e: unknown) => void;
  #handshakeTimer: NodeJS.Timeout | null = null;
  #drainWaiters: Array<() => void> = [];

  constructor(init: AdsLinkInit) {
    this.transport = init.transport;
    this.peer = init.peer;
    this.self = init.self;
    this.limits = init.limits;
    this.log = init.logger;
    this.#channel = init.channel;
    this.#onMisbehavior = init.onMisbehavior;
    this.#bucket = new TokenBucket(init.limits.ratePerSecond, init.limits.rateBurst);
    this.#flood = new WindowCounter(init.limits.floodPerSecond);
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection
  }

  /** Starts reading frames and runs this side's part of the handshake. */
  start(): void {
    this.#handshakeTimer = setTimeout(() => this.fail('handshake_timeout', 'handshake not finished in time'), this.limits.handshakeTimeoutMs);
    this.#handshakeTimer.unref();
    this.#channel.start({
      frame: (bytes) => this.#onFrame(bytes),
      drain: () => {
        this.#writable = true;
        this.#flush();
      },
      violation: (reason, message) => this.fail(reason, message, reason === 'too_large' ? 'too_large' : 'garbage_frame'),
      closed: (reason, message) => this.#finish({ reason, message, remote: true }),
    });
    this.begin();
  }

  get peerCard(): Card | undefined {
    return this.#peerCard;
  }

  get incoming(): AsyncIterable<InboundMessage> {
    return this.#incoming;
  }

  get isClosed(): boolean {
    return this.#state === 'closed';
  }

  stats(): LinkStats {
    return { ...this.#stats, inFlight: this.#inFlight, queued: this.#queue.length };
  }

  send(wire: Uint8Array, options: SendOptions = {}): Promise<SendOutcome> {
    if (this.#state === 'closed' || this.#state === 'draining') {
      return Promise.reject(linkClosedError(`link to ${this.peer.id.slice(0, 12)}… is ${this.#state === 'closed' ? 'closed' : 'draining'}`));
    }
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    if (wire.length > this.limits.maxResourceBytes) return Promise.resolve(refused('too_large'));
    if (this.#queue.length + this.#inFlight >= this.limits.window + this.limits.maxQueued) return Promise.resolve(refused('queue_full'));
    return new Promise<SendOutcome>((resolve, reject) => {
      this.#queue.push(new PendingSend(wire, resolve, reject, options.signal));
      this.#scheduleFlush();
    });
  }

  async drain(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#state !== 'draining') {
      this.#state = 'draining';
      this.#flush();
    }
    const signal = options.signal;
    if (signal?.aborted) {
      this.close('normal', 'drain aborted');
      return;
    }
    const onAbort = (): void => this.close('normal', 'drain aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await new Promise<void>((resolve) => {
        if (this.isClosed) return resolve(); // nothing was in flight: already closed
        this.#drainWaiters.push(resolve);
        this.#checkDrained();
      });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  close(reason: LinkCloseReason = 'normal', message = 'closed'): void {
    if (this.#state === 'closed') return;
    if (reason === 'normal' || reason === 'shutdown') this.#writeAnswers(); // answers already decided still reach the peer
    this.#channel.end(reason, message);
    this.#finish({ reason, message, remote: false });
  }

  // ---- for the subclasses ---------------------------------------------------

  /** Writes this side's opening frames (client: subscriptions). */
  protected abstract begin(): void;
  /** Handles one decoded-or-not frame from the peer. */
  protected abstract onFrame(bytes: Uint8Array): void;
  /** Whether messages may be written now (server: once the client subscribed). */
  protected abstract canSendMessages(): boolean;
  /**
   * Encodes one frame of messages and registers them for their answers.
   * `answers` are inbound batches answered and not written yet (in
   * order): the subclass writes them before the messages or carries them
   * in the same frame (the client's DiscoveryRequest can), and empties
   * the array.
   */
  protected abstract writeMessages(batch: PendingSend[], answers: InboundBatch[]): Uint8Array;
  /** Writes the answer frames for fully answered inbound batches, in order. */
  protected abstract writeAnswers(batches: InboundBatch[]): void;

  protected write(frame: Uint8Array): void {
    if (this.#state === 'closed') return;
    this.#stats.bytesOut += frame.length;
    if (!this.#channel.write(frame)) this.#writable = false;
  }

  /** The peer answered messages written earlier, in the order they were sent. */
  protected settleSent(batch: readonly PendingSend[], outcome: (i: number) => SendOutcome): void {
    for (let i = 0; i < batch.length; i++) {
      const o = outcome(i);
      if (o.ok) this.#stats.acked++;
      else this.#stats.nacked++;
      batch[i]!.answer(o);
    }
    this.#inFlight -= batch.length;
    this.#flush();
    this.#checkDrained();
  }

  protected markReady(): void {
    if (this.#state !== 'handshake') return;
    this.#state = 'open';
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = null;
    this.#resolveReady();
    this.#flush();
  }

  /** Messages may be written now (the client just subscribed): send what waited. */
  protected canSendNow(): void {
    this.#flush();
  }

  protected setPeerCard(card: Card): void {
    if (card.id !== this.peer.id) {
      this.fail('protocol_error', "card is not the peer's: its ID differs from the key the peer proved", 'bad_card');
      return;
    }
    this.#peerCard = card;
  }

  /**
   * Messages from the peer (one frame): refuses what it must, hands the
   * rest to the consumer. `request` numbers a client's requests of
   * messages on the server side (1, 2, …), 0 on the client side.
   */
  protected receiveMessages(resources: readonly Any[], nonce: string, version: string, request = 0): void {
    if (this.#state === 'closed') return;
    const batch = new InboundBatch(resources.length, nonce, version, request, () => this.#onAnswered());
    this.#inboundFifo.push(batch);
    const items: InboundItem[] = [];
    for (let i = 0; i < resources.length; i++) {
      this.#stats.received++;
      const any = resources[i]!;
      const reason = this.#check(any);
      if (typeof reason === 'string') {
        this.#stats.refused++;
        batch.settle(i, refused(reason));
        if (this.isClosed) return; // cut off as a flood
        continue;
      }
      batch.pending++;
      this.#inboundUnanswered++;
      items.push(new InboundItem(this, batch, i, reason, any.value, this.#holds));
    }
    batch.reading = false;
    for (const item of items) this.#incoming.push(item);
    this.#scheduleAnswers();
  }

  /** The peer broke the protocol or a limit: tell it why, end the link, count it. */
  protected fail(reason: LinkCloseReason, message: string, kind: MisbehaviorKind = 'protocol_error'): void {
    if (this.#state === 'closed') return;
    if (reason !== 'handshake_timeout') {
      this.log.warn({ peer: this.peer.id, transport: this.transport, reason, detail: message }, 'peer link ended: peer misbehaved');
      this.#onMisbehavior?.(kind, this);
    } else {
      this.log.info({ peer: this.peer.id, transport: this.transport }, 'peer link ended: handshake timeout');
    }
    this.close(reason, message);
  }

  protected misbehaved(kind: MisbehaviorKind): void {
    this.#onMisbehavior?.(kind, this);
  }

  protected countFrame(bytes: Uint8Array): void {
    this.#stats.bytesIn += bytes.length;
    this.#stats.lastReceivedAt = Date.now();
  }

  // ---- internals --------------------------------------------------------------

  #onFrame(bytes: Uint8Array): void {
    if (this.#state === 'closed') return;
    if (bytes.length > this.limits.maxFrameBytes) {
      this.fail('too_large', `frame of ${bytes.length} bytes is over ${this.limits.maxFrameBytes}`, 'too_large');
      return;
    }
    this.countFrame(bytes);
    try {
      this.onFrame(bytes);
    } catch (err) {
      if (isPushmeshError(err) && err.code === 'ERR_BAD_MESSAGE') this.fail('protocol_error', err.message.slice(0, 200), 'garbage_frame');
      else {
        this.log.error({ err, peer: this.peer.id }, 'peer link failed on a frame');
        this.close('transport_error', 'internal error');
      }
    }
  }

  /** The decoded message, or why it is refused. */
  #check(any: Any): NackReason | ReturnType<typeof decodeWebpushMessage> {
    if (any.typeUrl !== WEBPUSH_MESSAGE_TYPE_URL) {
      this.misbehaved('wrong_type_url');
      return 'bad_message';
    }
    if (any.value.length > this.limits.maxResourceBytes) {
      this.misbehaved('too_large');
      return 'too_large';
    }
    let wire;
    try {
      wire = decodeWebpushMessage(any.value, { copyBody: false }); // the frame is ours, fresh from the socket
    } catch (err) {
      const reason = nackReasonForError(err) ?? 'bad_message';
      this.misbehaved(reason === 'too_large' ? 'too_large' : 'bad_resource');
      return reason;
    }
    if (this.#state === 'draining') return 'queue_full';
    // Load first: a peer that keeps sending over the window is cut off as a flood whatever its flows.
    if (this.#inboundUnanswered >= this.limits.window) return this.#overload('window_exceeded', wire);
    const held = this.#holds.peek(wire);
    if (held) {
      // Refused without work, but refused: counts toward the flood limit like the load refusals.
      if (this.#flood.hit()) this.fail('flood', 'too many messages over the window or rate limit', 'flood');
      return held;
    }
    if (!this.#bucket.take()) return this.#overload('rate_limited', wire);
    return wire;
  }

  #overload(kind: MisbehaviorKind, wire: ReturnType<typeof decodeWebpushMessage>): NackReason {
    this.misbehaved(kind);
    this.#holds.refused(wire, 'queue_full');
    if (this.#flood.hit()) this.fail('flood', 'too many messages over the window or rate limit', 'flood');
    return 'queue_full';
  }

  #onAnswered(): void {
    this.#inboundUnanswered--;
    this.#scheduleAnswers();
  }

  /**
   * Answers leave on process.nextTick, i.e. once the current run of
   * callbacks and microtasks is over: a consumer that answers a message
   * and sends one (or sends right after its answer resolved something)
   * writes both in one flush, and a client carries its answer in the same
   * DiscoveryRequest as its messages. Nothing waits for a timer or the
   * next event-loop turn.
   */
  #scheduleAnswers(): void {
    if (this.#answersScheduled || this.#inboundFifo.length === 0 || !this.#inboundFifo[0]!.complete) return;
    this.#answersScheduled = true;
    process.nextTick(() => {
      this.#answersScheduled = false;
      this.#flush();
    });
  }

  /** The inbound batches at the front that are fully answered, taken out of the FIFO. */
  #takeAnswered(): InboundBatch[] {
    const fifo = this.#inboundFifo;
    let n = 0;
    while (n < fifo.length && fifo[n]!.complete) n++;
    return n === 0 ? [] : fifo.splice(0, n);
  }

  #writeAnswers(): void {
    const answers = this.#takeAnswered();
    if (answers.length > 0 && this.#state !== 'closed') this.writeAnswers(answers);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // A microtask: every send() of the same synchronous run shares one frame, and nothing waits for the next event-loop turn.
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  /** Writes what is due: answers first (or carried with the first messages), then messages within the window. */
  #flush(): void {
    if (this.#state === 'closed') return;
    const corked = this.#channel.cork?.() ?? false;
    try {
      this.#flushMessages(this.#takeAnswered());
    } finally {
      if (corked) this.#channel.uncork?.();
    }
    this.#checkDrained();
  }

  #flushMessages(answers: InboundBatch[]): void {
    if (!this.canSendMessages()) {
      if (answers.length > 0) this.writeAnswers(answers);
      return;
    }
    const { window, maxBatch, maxBatchBytes } = this.limits;
    while (this.#writable && this.#queue.length > 0 && this.#inFlight < window) {
      const batch: PendingSend[] = [];
      let bytes = 0;
      while (batch.length < maxBatch && this.#inFlight + batch.length < window) {
        const p = this.#queue.peek();
        if (!p) break;
        if (p.settled) {
          this.#queue.shift(); // aborted while queued
          continue;
        }
        if (batch.length > 0 && bytes + p.bytes.length > maxBatchBytes) break;
        this.#queue.shift();
        batch.push(p);
        bytes += p.bytes.length;
      }
      if (batch.length === 0) break;
      this.#inFlight += batch.length;
      this.#stats.sent += batch.length;
      this.write(this.writeMessages(batch, answers));
    }
    if (answers.length > 0 && this.#state !== 'closed') this.writeAnswers(answers);
  }

  #checkDrained(): void {
    if (this.#state !== 'draining') return;
    if (this.#queue.length > 0 || this.#inFlight > 0 || this.#inboundUnanswered > 0 || this.#inboundFifo.length > 0) return;
    this.#channel.end('normal', 'drained');
    this.#finish({ reason: 'normal', message: 'drained', remote: false });
  }

  #finish(info: LinkClosed): void {
    if (this.#state === 'closed') return;
    const wasHandshake = this.#state === 'handshake';
    this.#state = 'closed';
    if (this.#handshakeTimer) clearTimeout(this.#handshakeTimer);
    const err = linkClosedError(`link to ${this.peer.id.slice(0, 12)}… closed (${info.reason}${info.message ? `: ${info.message}` : ''})`);
    for (const p of this.#queue.clear()) p.fail(err);
    this.failInFlight(err);
    this.#inFlight = 0;
    this.#incoming.end(true);
    if (wasHandshake) this.#rejectReady(new PushmeshError(info.reason === 'forbidden' || info.reason === 'unauthenticated' ? 'ERR_PEER_REFUSED' : 'ERR_LINK_CLOSED', err.message));
    for (const w of this.#drainWaiters.splice(0)) w();
    this.#resolveClosed(info);
  }

  /** Rejects every message written and not answered (the subclass keeps them). */
  protected abstract failInFlight(err: Error): void;
}
