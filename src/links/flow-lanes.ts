/**
 * Runs a link's inbound messages concurrently across flows and one at a
 * time within a flow: a task starts once the previous task of its key
 * has finished, tasks of other keys do not wait for it. At most `limit`
 * tasks are pending (running or waiting behind their key); `room()`
 * waits for a free place, so the consumer stops pulling from the link.
 */
export class FlowLanes {
  readonly limit: number;
  /** key → the promise of its last submitted task. */
  readonly #tails = new Map<string, Promise<void>>();
  #pending = 0;
  #waiters: Array<() => void> = [];

  constructor(limit: number) {
    if (!(limit >= 1)) throw new RangeError('FlowLanes limit must be at least 1');
    this.limit = limit;
  }

  /** Tasks submitted and not finished. */
  get pending(): number {
    return this.#pending;
  }

  /** Resolves when fewer than `limit` tasks are pending. */
  async room(): Promise<void> {
    while (this.#pending >= this.limit) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Runs `task` after the earlier tasks of `key`; it must not throw (errors are the task's own to answer). */
  run(key: string, task: () => Promise<void>): Promise<void> {
    this.#pending++;
    const prev = this.#tails.get(key);
    const p = (prev ? prev.then(task) : task()).catch(() => undefined).finally(() => {
      if (this.#tails.get(key) === p) this.#tails.delete(key);
      this.#pending--;
      this.#waiters.shift()?.();
    });
    this.#tails.set(key, p);
    return p;
  }

  /** Resolves when every task submitted so far has finished. */
  async idle(): Promise<void> {
    await Promise.all([...this.#tails.values()]);
  }
}
