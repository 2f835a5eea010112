/**
 * The incoming side of a link as an async iterable: a FIFO with one
 * consumer. Its size is bounded by the link's window (the link refuses
 * messages beyond it), so push() never has to say no.
 */
export class InboundQueue<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #head = 0;
  #waiter: ((r: IteratorResult<T>) => void) | null = null;
  #ended = false;
  #iterating = false;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    if (this.#ended) return;
    const w = this.#waiter;
    if (w) {
      this.#waiter = null;
      w({ value: item, done: false });
    } else {
      this.#items.push(item);
    }
  }

  /** No more items; `drop` also discards those not taken yet. */
  end(drop: boolean): void {
    this.#ended = true;
    if (drop) {
      this.#items.length = 0;
      this.#head = 0;
    }
    const w = this.#waiter;
    if (w && this.size === 0) {
      this.#waiter = null;
      w({ value: undefined, done: true });
    }
  }

  #next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head]!;
      this.#items[this.#head++] = undefined as T;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items.splice(0, this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    if (this.#iterating) throw new Error('a link has one consumer of its incoming messages');
    this.#iterating = true;
    return {
      next: () => this.#next(),
      return: () => {
        this.end(true);
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
