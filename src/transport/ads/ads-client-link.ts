import { STATUS_TYPE_URL, WEBPUSH_MESSAGE_TYPE_URL } from '../../proto/any.js';
import { decodeDiscoveryResponse, encodeDiscoveryRequest } from '../../proto/discovery.js';
import { NODE_CARD_TYPE_URL } from '../../proto/node-card.js';
import { NACK_CODES } from '../../proto/status.js';
import type { DiscoveryResponse } from '../../proto/types.js';
import { OK, answerAny, cardFromAny, clientNode, outcomeOfAny } from './ads-frames.js';
import { AdsLink } from './ads-link.js';
import type { InboundBatch } from './inbound-batch.js';
import { ackRequest, messagesRequest } from './message-frames.js';
import type { PendingSend } from './outbound-queue.js';

/**
 * The dialing side of an ADS link: writes DiscoveryRequests, reads
 * DiscoveryResponses. It subscribes to the server's card and to messages,
 * sends its own messages in `pushmesh_resources` (field 1000) and ACKs or
 * NACKs every response of messages by nonce.
 */
export class AdsClientLink extends AdsLink {
  readonly direction = 'outbound' as const;
  /** Batches written, answered by the server's status responses in the same order. */
  readonly #sent: PendingSend[][] = [];
  #lastAcceptedVersion = '';

  protected begin(): void {
    this.write(encodeDiscoveryRequest({ typeUrl: NODE_CARD_TYPE_URL, node: clientNode(this.self.id, this.self.card, this.self.version) }));
    this.write(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL }));
  }

  protected canSendMessages(): boolean {
    return true; // the server takes messages from the first request on
  }

  protected writeMessages(batch: PendingSend[], answers: InboundBatch[]): Uint8Array {
    this.#sent.push(batch);
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

  protected failInFlight(err: Error): void {
    for (const batch of this.#sent.splice(0)) for (const p of batch) p.fail(err);
  }
}
