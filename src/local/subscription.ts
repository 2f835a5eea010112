import type { LocalEvent, SubscriptionEnd } from './types.js';

/**
 * One local subscriber's bounded buffer. `push` never blocks the node: a
 * subscriber that falls `limit` events behind is ended with
 * `slow consumer` instead of growing memory.
 */
export class Subscription implements AsyncIterable<LocalEvent> {
  readonly topic: string | null;
  readonly #limit: number;
  readonly #buffer: LocalEvent[] = [];
  #waiter: ((r: IteratorResult<LocalEvent>) => void) | null = null;
  #end: SubscriptionEnd | null = null;
  readonly #onEnd: (s: Subscription) => void;
  readonly #onHandOut: ((ev: LocalEvent) => void) | undefined;
  readonly #ended: Promise<SubscriptionEnd>;
  #resolveEnded!: (e: SubscriptionEnd) => void;

  /** `onHandOut` runs when the consumer takes an event (it has reached the app). */
  constructor(topic: string | null, limit: number, onEnd: (s: Subscription) => void, onHandOut?: (ev: LocalEvent) => void) {
    this.topic = topic;
    this.#limit = limit;
    this.#onEnd = onEnd;
    this.#onHandOut = onHandOut;
    this.#ended = new Promise((r) => (this.#resolveEnded = r));
  }

  matches(topic: string): boolean {
    return this.topic === null || this.topic === topic;
  }

  /** Resolves with the reason once the subscription has ended. */
  ended(): Promise<SubscriptionEnd> {
    return this.#ended;
  }

  get isEnded(): boolean {
    return this.#end !== null;
  }

  push(ev: LocalEvent): void {
    if (this.#end) return;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = null;
      this.#onHandOut?.(ev);
      w({ value: ev, done: false });
      return;
    }
    if (this.#buffer.length >= this.#limit) {
      this.end({ reason: 'slow consumer', buffered: this.#buffer.length });
      return;
    }
    this.#buffer.push(ev);
  }

  end(why: SubscriptionEnd = { reason: 'closed' }): void {
    if (this.#end) return;
    this.#end = why;
    this.#buffer.length = 0;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = null;
      w({ value: undefined, done: true });
    }
    this.#onEnd(this);
    this.#resolveEnded(why);
  }

  next(): Promise<IteratorResult<LocalEvent>> {
    const ev = this.#buffer.shift();
    if (ev) {
      this.#onHandOut?.(ev);
      return Promise.resolve({ value: ev, done: false });
    }
    if (this.#end) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  [Symbol.asyncIterator](): AsyncIterator<LocalEvent> {
    return {
      next: () => this.next(),
      return: () => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
