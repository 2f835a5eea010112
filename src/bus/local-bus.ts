import { EventEmitter } from 'node:events';
import type { Message } from '../message/types.js';
import type { HeldStore } from './held-store.js';
import { Subscription } from './subscription.js';
import type { LocalEvent } from './types.js';

export interface LocalBusOptions {
  /** Events buffered per subscriber before it is cut off as a slow consumer. */
  subscriberBuffer: number;
  /** Where held messages are kept for apps that connect late (bounded; on disk when it has a database). */
  store: HeldStore;
  now?: () => number;
}

export interface LocalBusEvents {
  published: [ev: LocalEvent];
  subscriberEnded: [sub: Subscription, reason: string];
  /** An app took the event (a stream handed it out, or a poll returned it). */
  consumed: [ev: LocalEvent];
}

/**
 * Hands received messages to local apps. Each subscriber (SSE, WebSocket)
 * has a bounded buffer; messages are also held (bounded, within their TTL)
 * so an app that connects late can replay them by `seq` or time.
 */
export class LocalBus extends EventEmitter<LocalBusEvents> {
  readonly #opts: LocalBusOptions & { now: () => number };
  readonly #subs = new Set<Subscription>();
  readonly #held: HeldStore;
  #seq: number;
  #closed = false;

  constructor(opts: LocalBusOptions) {
    super();
    this.#opts = { now: Date.now, ...opts };
    // Start above anything an earlier run handed out, so Last-Event-ID from a
    // client of the previous process never points into the future.
    this.#held = opts.store;
    this.#seq = Math.max(this.#opts.now() * 1000, this.#held.maxSeq);
  }

  get subscriberCount(): number {
    return this.#subs.size;
  }

  /**
   * Hands a message to apps: held (written with the turn's other writes
   * when the store has a database), then pushed to live subscribers, in
   * seq order. For messages whose sender needs no answer (the node's own,
   * local ones); a failed write is the store's to report, the live
   * subscribers still get it.
   */
  publish(message: Message): LocalEvent {
    const ev: LocalEvent = { seq: ++this.#seq, message };
    const hand = (): void => this.#handOut(ev);
    this.#held.add(ev).then(hand, hand);
    return ev;
  }

  /**
   * Hands a message to apps once it is held on disk: resolves then (the
   * moment the node may acknowledge it to its sender), or rejects with
   * ERR_STORAGE_FULL when it could not be written (not handed out: the
   * sender gets no ACK and sends it again).
   */
  async deliver(message: Message): Promise<LocalEvent> {
    const ev: LocalEvent = { seq: ++this.#seq, message };
    await this.#held.add(ev);
    this.#handOut(ev);
    return ev;
  }

  #handOut(ev: LocalEvent): void {
    for (const s of this.#subs) if (s.matches(ev.message.topic)) s.push(ev);
    this.emit('published', ev);
  }

  /**
   * Subscribes to one topic (or all with null). With `after` (a seq) or
   * `since` (Unix ms), held messages after that point are queued first.
   */
  subscribe(topic: string | null, replay?: { after?: number; since?: number }): Subscription {
    const sub = new Subscription(
      topic,
      this.#opts.subscriberBuffer,
      (s) => {
        this.#subs.delete(s);
      },
      (ev) => this.emit('consumed', ev),
    );
    void sub.ended().then((why) => this.emit('subscriberEnded', sub, why.reason));
    if (replay) sub.replay(this.held(topic, replay));
    this.#subs.add(sub);
    if (this.#closed) sub.end({ reason: 'node shutting down' }); // subscribed while the node was closing
    return sub;
  }

  /** Held messages (still within their TTL) for a topic (or all), after a seq or a time. */
  held(topic: string | null, replay: { after?: number; since?: number }): LocalEvent[] {
    return this.#held.filter(
      (ev) =>
        (topic === null || ev.message.topic === topic) &&
        (replay.after === undefined || ev.seq > replay.after) &&
        (replay.since === undefined || ev.message.time >= replay.since),
    );
  }

  /** Records that a poll handed these events to an app. */
  markConsumed(events: readonly LocalEvent[]): void {
    for (const ev of events) this.emit('consumed', ev);
  }

  /** Ends every subscription (node shutdown). */
  close(): void {
    this.#closed = true;
    for (const s of [...this.#subs]) s.end({ reason: 'node shutting down' });
  }
}
