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
  /** Held messages to replay first, handed out as the consumer reads (not counted against the buffer). */
  #backlog: LocalEvent[] = [];
  #backlogAt = 0;
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

  #lastSeq = 0;

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
    // Events come in seq order; one already given (replayed from the held messages while it was being stored) is not given twice.
    if (this.#end || ev.seq <= this.#lastSeq) return;
    this.#lastSeq = ev.seq;
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
    this.#backlog = [];
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = null;
      w({ value: undefined, done: true });
    }
    this.#onEnd(this);
    this.#resolveEnded(why);
  }

  /**
   * Queues held messages (in seq order) before anything live: the consumer
   * reads them at its own pace, however many; live events they already
   * contain are not given twice.
   */
  replay(events: LocalEvent[]): void {
    if (this.#end || events.length === 0) return;
    this.#backlog = events;
    this.#backlogAt = 0;
    this.#lastSeq = Math.max(this.#lastSeq, events[events.length - 1]!.seq);
  }

  /**
   * The next event if one is ready now (a replayed one first, then live
   * ones), handed out as by `next()`; undefined when none is ready or the
   * subscription has ended. With it a consumer that woke for one event
   * takes the others of the same event-loop turn and writes them at once.
   */
  takeReady(): LocalEvent | undefined {
    if (this.#end) return undefined;
    let ev: LocalEvent | undefined;
    if (this.#backlogAt < this.#backlog.length) {
      ev = this.#backlog[this.#backlogAt++]!;
      if (this.#backlogAt === this.#backlog.length) this.#backlog = [];
    } else {
      ev = this.#buffer.shift();
      if (!ev) return undefined;
    }
    this.#onHandOut?.(ev);
    return ev;
  }

  next(): Promise<IteratorResult<LocalEvent>> {
    if (!this.#end && this.#backlogAt < this.#backlog.length) {
      const held = this.#backlog[this.#backlogAt++]!;
      if (this.#backlogAt === this.#backlog.length) this.#backlog = [];
      this.#onHandOut?.(held);
      return Promise.resolve({ value: held, done: false });
    }
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
