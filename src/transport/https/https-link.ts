import type { Logger } from 'pino';
import { isPushmeshError, PushmeshError } from '../../errors/index.js';
import type { Card, NodeId } from '../../identity/types.js';
import type { MessageSigner } from '../../message/seal.js';
import type { WebpushMessage } from '../../message/types.js';
import { nackReasonForError, type NackReason } from '../../proto/status.js';
import { decodeWebpushMessage, encodeWebpushMessage } from '../../proto/webpush-message.js';
import type { PushClient } from './push-client.js';
import { OK, refused } from '../ads/ads-frames.js';
import { PendingSend, SendQueue, linkClosedError } from '../ads/outbound-queue.js';
import { InboundQueue } from '../inbound-queue.js';
import type { LinkLimits } from '../link-limits.js';
import type { InboundMessage, Link, LinkClosed, LinkCloseReason, LinkStats, PeerIdentity, SendOptions, SendOutcome } from '../types.js';
import type { InboundPush } from './https-inbox.js';
import { outcomeOfHttp } from './nack-error.js';

export interface HttpsLinkOptions {
  /** The peer's card: where to POST, and whose key its server must prove. */
  card: Card;
  client: PushClient;
  self: { id: NodeId };
  /** Signs this node's own messages again for the endpoint's origin (RFC 8292 `aud`). */
  signer: MessageSigner;
  limits: LinkLimits;
  logger: Logger;
  direction?: 'inbound' | 'outbound';
}

/**
 * A link over plain RFC 8030 Web Push: each message is one HTTPS POST to
 * the peer card's endpoint, one at a time (so order holds), answered by
 * the HTTP status (201 = ACK; 4xx/503 = NACK, the reason in the JSON
 * error). The peer's pushes to this node can be handed to `deliverPush`.
 * There is no session: the link cannot see the peer go away.
 *
 * A message of this node is signed again for the endpoint's origin, so
 * any Web Push receiver accepts it; a relayed message keeps its origin's
 * token (audience `pushmesh://<to>`, which pushmesh receivers accept).
 */
export class HttpsPushLink implements Link {
  readonly transport = 'https' as const;
  readonly direction: 'inbound' | 'outbound';
  readonly peer: PeerIdentity;
  readonly peerCard: Card;
  readonly since = Date.now();
  readonly closed: Promise<LinkClosed>;
  readonly #o: HttpsLinkOptions;
  readonly #queue = new SendQueue();
  readonly #incoming = new InboundQueue<InboundMessage>();
  readonly #abort = new AbortController();
  #sending = false;
  #unanswered = 0;
  #state: 'open' | 'draining' | 'closed' = 'open';
  #resolveClosed!: (c: LinkClosed) => void;
  readonly #drainWaiters: Array<() => void> = [];
  readonly #refuseInbound = new Set<(reason: NackReason) => void>();
  readonly #stats: LinkStats = { sent: 0, acked: 0, nacked: 0, received: 0, refused: 0, inFlight: 0, queued: 0, bytesIn: 0, bytesOut: 0, lastReceivedAt: null };

  constructor(opts: HttpsLinkOptions) {
    this.#o = opts;
    this.peerCard = opts.card;
    this.direction = opts.direction ?? 'outbound';
    this.peer = { id: opts.card.id, proof: 'tls', address: new URL(opts.card.endpoint).host };
    this.closed = new Promise((r) => (this.#resolveClosed = r));
  }

  get incoming(): AsyncIterable<InboundMessage> {
    return this.#incoming;
  }

  stats(): LinkStats {
    return { ...this.#stats, inFlight: this.#sending ? 1 : 0, queued: this.#queue.length };
  }

  send(wire: Uint8Array, options: SendOptions = {}): Promise<SendOutcome> {
    if (this.#state !== 'open') return Promise.reject(linkClosedError(`HTTPS link to ${this.peer.id.slice(0, 12)}… is ${this.#state}`));
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    if (wire.length > this.#o.limits.maxResourceBytes) return Promise.resolve(refused('too_large'));
    if (this.#queue.length + (this.#sending ? 1 : 0) >= this.#o.limits.window + this.#o.limits.maxQueued) return Promise.resolve(refused('queue_full'));
    return new Promise((resolve, reject) => {
      this.#queue.push(new PendingSend(wire, resolve, reject, options.signal));
      void this.#pump();
    });
  }

  async #pump(): Promise<void> {
    if (this.#sending) return;
    this.#sending = true;
    try {
      for (let p = this.#queue.shift(); p && this.#state !== 'closed'; p = this.#queue.shift()) {
        if (p.settled) continue;
        try {
          const outcome = await this.#post(p.bytes);
          if (outcome.ok) this.#stats.acked++;
          else this.#stats.nacked++;
          p.answer(outcome);
        } catch (err) {
          p.fail(this.#isClosed() ? linkClosedError(`HTTPS link to ${this.peer.id.slice(0, 12)}… closed`) : err);
        }
      }
    } finally {
      this.#sending = false;
      this.#checkDrained();
    }
  }

  async #post(bytes: Uint8Array): Promise<SendOutcome> {
    let wire: WebpushMessage;
    try {
      wire = decodeWebpushMessage(bytes);
    } catch (err) {
      return refused(nackReasonForError(err) ?? 'bad_message');
    }
    const card = this.#o.card;
    const origin = new URL(card.endpoint).origin;
    const authorization = wire.from === this.#o.self.id ? await this.#o.signer.authorization(origin) : wire.authorization;
    const body = Buffer.from(wire.body.buffer, wire.body.byteOffset, wire.body.byteLength);
    this.#stats.sent++;
    this.#stats.bytesOut += body.length;
    let answer;
    try {
      answer = await this.#o.client.post(
        {
          card,
          body,
          authorization,
          ttl: wire.ttl,
          urgency: wire.urgency,
          ...(wire.replace ? { topic: wire.replace } : {}),
          // The origin's proof travels unchanged: it covers id, from, to, replace, time and the body, not the token.
          ...(wire.senderMac ? { sender: { id: wire.id, time: wire.time, mac: wire.senderMac } } : {}),
        },
        this.#abort.signal,
      );
    } catch (err) {
      throw new PushmeshError('ERR_UNAVAILABLE', `HTTPS push to ${card.endpoint} failed: ${(err as Error).message}`, { cause: err });
    }
    const outcome = outcomeOfHttp(answer.status, answer.error?.reason);
    if (!outcome) throw new PushmeshError('ERR_UNAVAILABLE', `HTTPS push to ${card.endpoint}: HTTP ${answer.status} ${answer.error?.message ?? ''}`.trim());
    return outcome;
  }

  /**
   * A push from the peer arrived (through an HttpsInbox): hand it to the
   * consumer as an inbound message of this link and answer the HTTP
   * request with its ACK/NACK. The push is taken as the peer's without a
   * check: whoever consumes it must prove the sender (a node's inbox does;
   * a node does not use this half of the link, the compliance suite does).
   */
  deliverPush(push: InboundPush): void {
    this.#stats.received++;
    this.#stats.bytesIn += push.inbound.wire.body.length;
    this.#stats.lastReceivedAt = Date.now();
    if (this.#state !== 'open' || this.#unanswered >= this.#o.limits.window) {
      this.#stats.refused++;
      push.nack('queue_full');
      return;
    }
    const wire: WebpushMessage = { ...push.inbound.wire, from: this.peer.id };
    let bytes: Uint8Array;
    try {
      bytes = encodeWebpushMessage(wire);
    } catch (err) {
      this.#stats.refused++;
      push.nack('bad_message', isPushmeshError(err) ? err : undefined);
      return;
    }
    this.#unanswered++;
    let answered = false;
    const answer = (outcome: SendOutcome): void => {
      if (answered) return;
      answered = true;
      this.#unanswered--;
      this.#refuseInbound.delete(refuse);
      if (outcome.ok) push.ack();
      else push.nack(outcome.reason);
      this.#checkDrained();
    };
    const refuse = (reason: NackReason): void => answer(refused(reason));
    this.#refuseInbound.add(refuse);
    this.#incoming.push({ wire, bytes, link: this, ack: () => answer(OK), nack: (reason) => answer(refused(reason)) });
  }

  async drain(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'draining';
    const onAbort = (): void => this.close('normal', 'drain aborted');
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await new Promise<void>((resolve) => {
        if (this.#isClosed()) return resolve();
        this.#drainWaiters.push(resolve);
        this.#checkDrained();
      });
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #checkDrained(): void {
    if (this.#state !== 'draining' || this.#sending || this.#queue.length > 0 || this.#unanswered > 0) return;
    this.#finish('normal', 'drained');
  }

  close(reason: LinkCloseReason = 'normal', message = 'closed'): void {
    this.#finish(reason, message);
  }

  #finish(reason: LinkCloseReason, message: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    const err = linkClosedError(`HTTPS link to ${this.peer.id.slice(0, 12)}… closed`);
    for (const p of this.#queue.clear()) p.fail(err);
    this.#abort.abort(err);
    for (const refuse of [...this.#refuseInbound]) refuse('queue_full'); // the sender retries them
    this.#incoming.end(true);
    for (const w of this.#drainWaiters.splice(0)) w();
    this.#resolveClosed({ reason, message, remote: false });
  }
}
