/**
 * A fixed-capacity FIFO that drops its oldest item when full, in O(1)
 * (an array's shift() is O(n), which made a large hold buffer the
 * bottleneck of a busy node).
 */
export class Ring<T> implements Iterable<T> {
  readonly #items: (T | undefined)[];
  #start = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError('capacity must be a whole number ≥ 0');
    this.#items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Appends `item`; returns the item dropped to make room, if any. */
  push(item: T): T | undefined {
    if (this.capacity === 0) return item;
    if (this.#size < this.capacity) {
      this.#items[(this.#start + this.#size++) % this.capacity] = item;
      return undefined;
    }
    const dropped = this.#items[this.#start];
    this.#items[this.#start] = item;
    this.#start = (this.#start + 1) % this.capacity;
    return dropped;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.#size; i++) yield this.#items[(this.#start + i) % this.capacity] as T;
  }

  /** Items in order (oldest first) that satisfy `pred`. */
  filter(pred: (item: T) => boolean): T[] {
    const out: T[] = [];
    for (const item of this) if (pred(item)) out.push(item);
    return out;
  }
}
