import { STATUS_TYPE_URL, WEBPUSH_MESSAGE_TYPE_URL } from '../../proto/any.js';
import { decodeDiscoveryResponse, encodeDiscoveryRequest } from '../../proto/discovery.js';
import { NODE_CARD_TYPE_URL } from '../../proto/node-card.js';
import { NACK_CODES } from '../../proto/status.js';
import type { DiscoveryResponse, RequestAnswer } from '../../proto/types.js';
import type { SendOutcome } from '../types.js';
import { ANSWERS_WITH_MESSAGES_FEATURE, OK, answerAny, cardFromAny, clientNode, outcomeOfAny, outcomeOfStatus } from './ads-frames.js';
import { AdsLink } from './ads-link.js';
import type { InboundBatch } from './inbound-batch.js';
import { ackRequest, messagesRequest } from './message-frames.js';
import type { PendingSend } from './outbound-queue.js';

/**
 * The dialing side of an ADS link: writes DiscoveryRequests, reads
 * DiscoveryResponses. It subscribes to the server's card and to messages,
 * sends its own messages in `pushmesh_resources` (field 1000) and ACKs or
 * NACKs every response of messages by nonce. It asks for answers with
 * messages (client feature ANSWERS_WITH_MESSAGES_FEATURE): a server that
 * honours it carries the answers to this side's requests in its responses
 * of messages; one that does not answers with status responses.
 */
export class AdsClientLink extends AdsLink {
  readonly direction = 'outbound' as const;
  /** Batches written, answered by the server in the same order (status responses or carried answers). */
  readonly #sent: PendingSend[][] = [];
  /** Requests of messages written: the number of the latest (the oldest unanswered is this − #sent.length + 1). */
  #requests = 0;
  /** Whether this side asked for answers with messages (a server may only carry them then). */
  #askedForAnswers = false;
  #lastAcceptedVersion = '';

  protected begin(): void {
    this.#askedForAnswers = this.limits.answersWithMessages;
    const features = this.#askedForAnswers ? [ANSWERS_WITH_MESSAGES_FEATURE] : [];
    this.write(encodeDiscoveryRequest({ typeUrl: NODE_CARD_TYPE_URL, node: clientNode(this.self.id, this.self.card, this.self.version, features) }));
    this.write(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL }));
  }

  protected canSendMessages(): boolean {
    return true; // the server takes messages from the first request on
  }

  protected writeMessages(batch: PendingSend[], answers: InboundBatch[]): Uint8Array {
    this.#sent.push(batch);
    this.#requests++;
    const values = batch.map((p) => p.bytes);
    if (answers.length === 0) return messagesRequest(values);
    const last = this.#answerFrames(answers.splice(0));
    // The last answer, an ACK, rides in the same request as the messages ("A request may carry messages and an ACK/NACK together").
    return last ? messagesRequest(values, last) : messagesRequest(values);
  }

  protected writeAnswers(batches: InboundBatch[]): void {
    const last = this.#answerFrames(batches);
    if (last) this.write(ackRequest(last.nonce, last.version));
  }

  /**
   * Writes the answers of `batches` that need a frame of their own and
   * returns the final ACK, if the run ends with one, for the caller to
   * write. An answer accepts every earlier response still unanswered
   * (docs/transports.md), so of a run of ACKs only the last is written,
   * and ACKs right before a NACK are not written at all.
   */
  #answerFrames(batches: InboundBatch[]): { nonce: string; version: string } | null {
    let last: { nonce: string; version: string } | null = null;
    for (const batch of batches) {
      const firstRefusal = batch.outcomes.find((o) => o !== undefined && !o.ok);
      if (!firstRefusal || firstRefusal.ok) {
        this.#lastAcceptedVersion = batch.version;
        last = { nonce: batch.nonce, version: batch.version };
        continue;
      }
      last = null;
      this.write(
        encodeDiscoveryRequest({
          typeUrl: WEBPUSH_MESSAGE_TYPE_URL,
          responseNonce: batch.nonce,
          versionInfo: this.#lastAcceptedVersion,
          errorDetail: {
            code: NACK_CODES[firstRefusal.reason],
            message: firstRefusal.reason,
            details: batch.outcomes.map((o) => answerAny(o!)),
          },
        }),
      );
    }
    return last;
  }

  protected onFrame(bytes: Uint8Array): void {
    const res = decodeDiscoveryResponse(bytes);
    if (res.controlPlane && res.controlPlane.identifier !== '' && res.controlPlane.identifier !== this.peer.id) {
      this.fail('protocol_error', 'control_plane.identifier is not the node ID the server proved');
      return;
    }
    if (res.pushmeshAnswers && !this.#onCarriedAnswers(res)) return;
    switch (res.typeUrl) {
      case WEBPUSH_MESSAGE_TYPE_URL:
        this.receiveMessages(res.resources, res.nonce, res.versionInfo);
        return;
      case STATUS_TYPE_URL:
        this.#onStatuses(res);
        return;
      case NODE_CARD_TYPE_URL:
        this.#onCard(res);
        return;
      default:
        this.fail('protocol_error', `response of unexpected type ${JSON.stringify(res.typeUrl.slice(0, 100))}`, 'wrong_type_url');
    }
  }

  #onCard(res: DiscoveryResponse): void {
    const any = res.resources[0];
    if (res.resources.length !== 1 || !any) {
      this.fail('protocol_error', 'card response must hold exactly one card', 'bad_card');
      return;
    }
    try {
      this.setPeerCard(cardFromAny(any));
    } catch (err) {
      this.fail('protocol_error', `bad card: ${(err as Error).message.slice(0, 150)}`, 'bad_card');
      return;
    }
    this.write(encodeDiscoveryRequest({ typeUrl: NODE_CARD_TYPE_URL, responseNonce: res.nonce, versionInfo: res.versionInfo }));
    this.markReady();
  }

  #onStatuses(res: DiscoveryResponse): void {
    const batch = this.#sent.shift();
    if (!batch || (res.resources.length !== 0 && batch.length !== res.resources.length)) {
      this.fail('protocol_error', 'status response does not match a request of messages');
      return;
    }
    if (res.resources.length === 0) {
      this.settleSent(batch, () => OK); // the compact form: every message accepted
      return;
    }
    const outcomes = res.resources.map(outcomeOfAny); // throws ERR_BAD_MESSAGE → protocol_error
    this.settleSent(batch, (i) => outcomes[i]!);
  }

  /**
   * Answers carried in a response of messages (field 1000). Every one is
   * checked before any is applied, so a response that breaks the rules
   * settles nothing (the link ends, `protocol_error`, and what was in
   * flight fails with ERR_LINK_CLOSED for the sender to retry): they must
   * have been asked for, ride on a response of messages, and answer the
   * oldest unanswered requests in order, each exactly once, with no
   * statuses or one per message. False when the link ended.
   */
  #onCarriedAnswers(res: DiscoveryResponse): boolean {
    const answers = res.pushmeshAnswers!;
    if (!this.#askedForAnswers) {
      this.fail('protocol_error', `response carries pushmesh_answers (field 1000), but this client did not ask for them (client feature ${ANSWERS_WITH_MESSAGES_FEATURE})`);
      return false;
    }
    if (res.typeUrl !== WEBPUSH_MESSAGE_TYPE_URL) {
      this.fail('protocol_error', `pushmesh_answers (field 1000) on a response of type ${JSON.stringify(res.typeUrl.slice(0, 100))}: only responses of messages carry them`);
      return false;
    }
    const answered = this.#requests - this.#sent.length;
    const outcomes: Array<(i: number) => SendOutcome> = [];
    for (let j = 0; j < answers.length; j++) {
      const a = answers[j]!;
      const problem = answerProblem(a, answered + 1 + j, this.#requests, this.#sent[j]?.length ?? 0);
      if (problem) {
        this.fail('protocol_error', problem);
        return false;
      }
      if (a.statuses.length === 0) outcomes.push(() => OK);
      else {
        const each = a.statuses.map(outcomeOfStatus);
        outcomes.push((i) => each[i]!);
      }
    }
    for (const outcome of outcomes) {
      if (this.isClosed) return false;
      this.settleSent(this.#sent.shift()!, outcome);
    }
    return !this.isClosed;
  }

  protected failInFlight(err: Error): void {
    for (const batch of this.#sent.splice(0)) for (const p of batch) p.fail(err);
  }
}

/**
 * Why a carried answer cannot be the `expected`-th request's (of
 * `written` requests of messages, that one holding `size` messages), or
 * null when it is.
 */
function answerProblem(a: RequestAnswer, expected: number, written: number, size: number): string | null {
  if (a.request < expected) return a.request === 0 ? 'answer without a request number (0)' : `answer to request ${a.request} again: it was already answered`;
  if (a.request > written) return `answer to request ${a.request}, which was never sent (${written} requests of messages so far)`;
  if (a.request !== expected) return `answers out of order: request ${a.request} answered before request ${expected}`;
  if (a.statuses.length !== 0 && a.statuses.length !== size) return `answer to request ${a.request} holds ${a.statuses.length} statuses for its ${size} messages`;
  return null;
}
