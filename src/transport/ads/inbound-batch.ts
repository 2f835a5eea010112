import type { WebpushMessage } from '../../message/types.js';
import type { NackReason } from '../../proto/status.js';
import type { InboundMessage, Link, SendOutcome } from '../types.js';
import { OK, refused } from './ads-frames.js';
import type { FlowHolds } from './flow-holds.js';

/**
 * The messages of one frame received from the peer, answered as a whole:
 * its answer frame is written once every message has an outcome, and
 * answers leave in the order the frames came (see ads-link.ts).
 */
export class InboundBatch {
  /** Response nonce and version (client side: the DiscoveryResponse being answered). */
  readonly nonce: string;
  readonly version: string;
  /** Server side: the request's number among the client's requests of messages (1, 2, …); 0 on the client side. */
  readonly request: number;
  readonly outcomes: (SendOutcome | undefined)[];
  pending = 0;
  /** True while the frame's messages are still being read: not answerable yet, however many are settled. */
  reading = true;
  readonly #onAnswer: (batch: InboundBatch) => void;

  constructor(size: number, nonce: string, version: string, request: number, onAnswer: (batch: InboundBatch) => void) {
    this.outcomes = new Array<SendOutcome | undefined>(size);
    this.nonce = nonce;
    this.version = version;
    this.request = request;
    this.#onAnswer = onAnswer;
  }

  /** Records an outcome decided before the message reached the consumer. */
  settle(index: number, outcome: SendOutcome): void {
    this.outcomes[index] = outcome;
  }

  answer(index: number, outcome: SendOutcome): boolean {
    if (this.outcomes[index] !== undefined) return false;
    this.outcomes[index] = outcome;
    this.pending--;
    this.#onAnswer(this);
    return true;
  }

  get complete(): boolean {
    return !this.reading && this.pending === 0;
  }
}

/** One message handed to the link's consumer. */
export class InboundItem implements InboundMessage {
  readonly wire: WebpushMessage;
  readonly bytes: Uint8Array;
  readonly link: Link;
  readonly #batch: InboundBatch;
  readonly #index: number;
  readonly #holds: FlowHolds;

  constructor(link: Link, batch: InboundBatch, index: number, wire: WebpushMessage, bytes: Uint8Array, holds: FlowHolds) {
    this.link = link;
    this.#batch = batch;
    this.#index = index;
    this.wire = wire;
    this.bytes = bytes;
    this.#holds = holds;
  }

  ack(): void {
    this.#batch.answer(this.#index, OK);
  }

  nack(reason: NackReason): void {
    if (this.#batch.answer(this.#index, refused(reason))) this.#holds.refused(this.wire, reason);
  }

  heldBack(): NackReason | null {
    return this.#holds.take(this.wire);
  }
}
