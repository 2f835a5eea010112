import { STATUS_TYPE_URL, WEBPUSH_MESSAGE_TYPE_URL } from '../../proto/any.js';
import { decodeDiscoveryRequest, encodeDiscoveryResponse } from '../../proto/discovery.js';
import { NODE_CARD_TYPE_URL } from '../../proto/node-card.js';
import type { DiscoveryRequest } from '../../proto/types.js';
import { ANSWERS_WITH_MESSAGES_FEATURE, answerAny, cardAny, cardFromNode, outcomeOfAny, outcomeOfStatus, refused } from './ads-frames.js';
import { AdsLink } from './ads-link.js';
import type { InboundBatch } from './inbound-batch.js';
import { acceptedResponse, messagesResponse, type CarriedAnswer } from './message-frames.js';
import type { PendingSend } from './outbound-queue.js';

/**
 * The listening side of an ADS link: reads DiscoveryRequests, writes
 * DiscoveryResponses. Sends messages as responses (one nonce per
 * response) once the client subscribed to them, answers the client's
 * `pushmesh_resources` with one status response per request, in order
 * (or, for a client that asked for it, inside its next response of
 * messages), and sends its card to a client that subscribed to NodeCard.
 */
export class AdsServerLink extends AdsLink {
  readonly direction = 'inbound' as const;
  /** Responses of messages not answered yet, by nonce, in the order sent. */
  /** Responses of messages awaiting the client's answer, by nonce; built on the first one (an idle link sends none). */
  #sent: Map<string, PendingSend[]> | null = null;
  #nonce = 0;
  #subscribed = false;
  #firstRequest = true;
  /** Requests of messages received from the client: the number of the latest. */
  #requests = 0;
  /** The client asked for answers with messages (docs/transports.md) and this node carries them. */
  #carryAnswers = false;
  /** How the client's requests of messages were answered so far (tests, benchmarks). */
  readonly answerCounts = { statusResponses: 0, carried: 0 };

  /** Whether this link carries its answers in responses of messages (the client asked, and this node does). */
  get carriesAnswers(): boolean {
    return this.#carryAnswers;
  }

  protected begin(): void {
    // The client speaks first.
  }

  protected canSendMessages(): boolean {
    return this.#subscribed;
  }

  #nextNonce(): string {
    return String(++this.#nonce);
  }

  /**
   * For a client that asked for answers with messages, the answers due
   * ride in this response (field 1000) and no status response is
   * written for them. Otherwise a DiscoveryResponse has one type, so
   * status responses cannot ride with messages: they are left in
   * `answers` and written right after the messages, in the same flush.
   * Messages first: grpc-js writes a call's messages one after another
   * (each waits for the previous one to reach the socket), and the peer
   * is waiting for these; the status responses only settle sends the
   * peer already made.
   */
  protected writeMessages(batch: PendingSend[], answers: InboundBatch[]): Uint8Array {
    const nonce = this.#nextNonce();
    (this.#sent ??= new Map()).set(nonce, batch);
    const values = batch.map((p) => p.bytes);
    if (!this.#carryAnswers || answers.length === 0) return messagesResponse(nonce, values, this.self.id);
    this.answerCounts.carried += answers.length;
    return messagesResponse(nonce, values, this.self.id, answers.splice(0).map(carried));
  }

  protected onFrame(bytes: Uint8Array): void {
    const req = decodeDiscoveryRequest(bytes);
    if (this.#firstRequest) {
      this.#firstRequest = false;
      if (!this.#readNode(req)) return;
    }
    if (req.responseNonce !== '') this.#onAnswer(req);
    if (req.pushmeshResources.length > 0) {
      if (req.typeUrl !== WEBPUSH_MESSAGE_TYPE_URL) {
        this.fail('protocol_error', `request carrying messages has type ${JSON.stringify(req.typeUrl.slice(0, 100))}`, 'wrong_type_url');
        return;
      }
      this.markReady();
      this.receiveMessages(req.pushmeshResources, '', '', ++this.#requests);
      return;
    }
    if (req.responseNonce !== '') return;
    switch (req.typeUrl) {
      case WEBPUSH_MESSAGE_TYPE_URL:
        this.#subscribed = true;
        this.markReady();
        this.canSendNow(); // messages queued before the subscription (the link was up after the card request) go now
        return;
      case NODE_CARD_TYPE_URL:
        this.#sendCard();
        this.markReady();
        return;
      default:
        this.fail('protocol_error', `unsupported type_url ${JSON.stringify(req.typeUrl.slice(0, 100))}`, 'wrong_type_url');
    }
  }

  /** The client's Node (first request): its card, if it sent one, must be the card of the key it proved. */
  #readNode(req: DiscoveryRequest): boolean {
    let card;
    try {
      card = cardFromNode(req.node);
    } catch (err) {
      this.fail('protocol_error', `bad card in node metadata: ${(err as Error).message.slice(0, 150)}`, 'bad_card');
      return false;
    }
    if (card) this.setPeerCard(card);
    // Features count only in the first request (as xDS servers read Node); unknown ones are ignored.
    this.#carryAnswers = this.limits.answersWithMessages && (req.node?.clientFeatures.includes(ANSWERS_WITH_MESSAGES_FEATURE) ?? false);
    return !this.isClosed;
  }

  #sendCard(): void {
    if (!this.self.card) return;
    const nonce = this.#nextNonce();
    this.write(
      encodeDiscoveryResponse({ versionInfo: nonce, nonce, typeUrl: NODE_CARD_TYPE_URL, resources: [cardAny(this.self.card)], controlPlane: { identifier: this.self.id } }),
    );
  }

  /**
   * An ACK or NACK of a response of messages. xDS clients answer every
   * response in order, so an answer also ACKs any earlier response still
   * unanswered (a client that only answers the latest one loses nothing).
   */
  #onAnswer(req: DiscoveryRequest): void {
    if (req.typeUrl !== WEBPUSH_MESSAGE_TYPE_URL || !this.#sent?.has(req.responseNonce)) return; // card ACKs, stale nonces
    const sent = this.#sent!;
    for (const [nonce, batch] of sent) {
      sent.delete(nonce);
      if (nonce !== req.responseNonce) {
        this.settleSent(batch, () => ({ ok: true }));
        continue;
      }
      const detail = req.errorDetail;
      if (!detail || detail.code === 0) {
        this.settleSent(batch, () => ({ ok: true }));
      } else if (detail.details.length === batch.length) {
        const outcomes = detail.details.map(outcomeOfAny);
        this.settleSent(batch, (i) => outcomes[i]!);
      } else {
        const all = outcomeOfStatus(detail);
        this.settleSent(batch, () => (all.ok ? refused('bad_message') : all));
      }
      return;
    }
  }

  protected writeAnswers(batches: InboundBatch[]): void {
    for (const batch of batches) this.#writeAnswer(batch);
  }

  /** One status per message in order — or none at all when every message was accepted (the compact form). */
  #writeAnswer(batch: InboundBatch): void {
    this.answerCounts.statusResponses++;
    const allAccepted = batch.outcomes.every((o) => o!.ok);
    if (allAccepted) {
      this.write(acceptedResponse(this.#nextNonce(), this.self.id));
      return;
    }
    this.write(
      encodeDiscoveryResponse({
        versionInfo: '',
        nonce: this.#nextNonce(),
        typeUrl: STATUS_TYPE_URL,
        resources: allAccepted ? [] : batch.outcomes.map((o) => answerAny(o!)),
        controlPlane: { identifier: this.self.id },
      }),
    );
  }

  protected failInFlight(err: Error): void {
    if (!this.#sent) return;
    for (const batch of this.#sent.values()) for (const p of batch) p.fail(err);
    this.#sent.clear();
  }
}

const NO_STATUSES: readonly Uint8Array[] = Object.freeze([]);

/** A fully answered request of messages as a pushmesh.v1.RequestAnswer: no statuses when all were accepted. */
function carried(batch: InboundBatch): CarriedAnswer {
  const allAccepted = batch.outcomes.every((o) => o!.ok);
  return { request: batch.request, statuses: allAccepted ? NO_STATUSES : batch.outcomes.map((o) => answerAny(o!).value) };
}
