import { EventEmitter } from 'node:events';
import type { Message } from '../message/types.js';
import { Ring } from './ring.js';
import { Subscription } from './subscription.js';
import type { LocalEvent } from './types.js';

export interface LocalBusOptions {
  /** Events buffered per subscriber before it is cut off as a slow consumer. */
  subscriberBuffer: number;
  /** Messages held for apps that connect late (replay), newest kept. */
  holdCount: number;
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
  readonly #opts: Required<LocalBusOptions>;
  readonly #subs = new Set<Subscription>();
  readonly #held: Ring<LocalEvent>;
  #seq: number;
  #closed = false;

  constructor(opts: LocalBusOptions) {
    super();
    this.#opts = { now: Date.now, ...opts };
    // Start above anything an earlier run handed out, so Last-Event-ID from a
    // client of the previous process never points into the future.
    this.#seq = this.#opts.now() * 1000;
    this.#held = new Ring(this.#opts.holdCount);
  }

  get subscriberCount(): number {
    return this.#subs.size;
  }

  publish(message: Message): LocalEvent {
    const ev: LocalEvent = { seq: ++this.#seq, message };
    this.#held.push(ev);
    for (const s of this.#subs) if (s.matches(message.topic)) s.push(ev);
    this.emit('published', ev);
    return ev;
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
    if (replay) for (const ev of this.held(topic, replay)) sub.push(ev);
    this.#subs.add(sub);
    if (this.#closed) sub.end({ reason: 'node shutting down' }); // subscribed while the node was closing
    return sub;
  }

  /** Held messages (still within their TTL) for a topic (or all), after a seq or a time. */
  held(topic: string | null, replay: { after?: number; since?: number }): LocalEvent[] {
    const now = this.#opts.now();
    return this.#held.filter(
      (ev) =>
        (topic === null || ev.message.topic === topic) &&
        ev.message.time + ev.message.ttl * 1000 >= now &&
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
