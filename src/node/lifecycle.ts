import type { Logger } from 'pino';

/**
 * One life for every part of a node: started in the order the node
 * declares, stopped in the reverse — so a part never outlives what it
 * uses, and the order is written down once (docs/node.md "Parts").
 */
export interface Part {
  /** What logs and errors call it. */
  readonly name: string;
  /** Opens what the part needs; a failure stops the parts already started (reverse order) and fails the start. */
  start?(): Promise<void> | void;
  /** Stops taking new work and finishes what is in flight (bounded by the part). Without one, drain closes the part. */
  drain?(): Promise<void> | void;
  /** Stops now. Called during a drain (to end it) and more than once: must be idempotent. */
  close(): Promise<void> | void;
}

type State = 'new' | 'starting' | 'running' | 'draining' | 'closed';

/**
 * The ordered parts of one node. `start` runs them in order; `drain` and
 * `close` in reverse; `adopt` takes in a part its owner already started
 * (a backend bridge built on the running node) and stops it before the
 * part it is placed after.
 */
export class Parts {
  readonly #parts: Part[] = [];
  readonly #started = new Set<Part>();
  readonly #onError: (part: string, step: 'drain' | 'close', err: unknown) => void;
  #state: State = 'new';
  #draining: Promise<void> | null = null;
  #closing: Promise<void> | null = null;

  constructor(onError: (part: string, step: 'drain' | 'close', err: unknown) => void) {
    this.#onError = onError;
  }

  /** Declares the next part (start order). */
  add(part: Part): this {
    if (this.#state !== 'new') throw new Error(`part "${part.name}" added after the start: adopt it`);
    this.#parts.push(part);
    return this;
  }

  /** A part started by its owner on the running node: stopped with the others, right before `after` (default: first). */
  adopt(part: Part, after?: string): void {
    if (this.#state === 'closed' || this.#state === 'draining') throw new Error(`part "${part.name}" adopted by a node that is stopping`);
    const at = after === undefined ? -1 : this.#parts.findIndex((p) => p.name === after);
    if (after !== undefined && at < 0) throw new Error(`no part "${after}" to place "${part.name}" after`);
    if (at < 0) this.#parts.push(part);
    else this.#parts.splice(at + 1, 0, part);
    this.#started.add(part);
  }

  get names(): string[] {
    return this.#parts.map((p) => p.name);
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new Error('parts already started');
    this.#state = 'starting';
    for (const part of this.#parts) {
      try {
        await part.start?.();
        this.#started.add(part);
      } catch (err) {
        await this.close();
        throw err;
      }
      if (this.#closing) throw new Error(`stopped while starting (at "${part.name}")`);
    }
    this.#state = 'running';
  }

  /** Drains the started parts, last first; a close() meanwhile ends it. */
  drain(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#draining ??= (async () => {
      this.#state = 'draining';
      for (const part of this.#stopOrder()) {
        if (this.#closing) return;
        try {
          await (part.drain ? part.drain() : part.close());
        } catch (err) {
          this.#onError(part.name, 'drain', err);
        }
      }
      this.#state = 'closed';
    })();
    return this.#draining;
  }

  /** Closes every started part, last first, also during a drain (which then ends). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#state = 'draining';
      for (const part of this.#stopOrder()) {
        try {
          await part.close();
        } catch (err) {
          this.#onError(part.name, 'close', err);
        }
      }
      await this.#draining;
      this.#state = 'closed';
    })();
    return this.#closing;
  }

  /** The started parts in stop order. */
  #stopOrder(): Part[] {
    return this.#parts.filter((p) => this.#started.has(p)).reverse();
  }
}

/** Where a node is in its life: built, running, stopping (drain or close), stopped. */
export type NodeState = 'new' | 'running' | 'draining' | 'closed';

/**
 * A node's life around its parts: the state the node answers by (`ok` in
 * health, 503 while stopping), its parts started in the order given
 * (`null`: a part this node does not have), drained or closed in reverse,
 * and the "pushmesh node stopped" line once, at the end.
 */
export class NodeLife {
  readonly parts: Parts;
  readonly #log: Logger;
  #state: NodeState = 'new';

  constructor(logger: Logger, parts: ReadonlyArray<Part | null>) {
    this.#log = logger;
    this.parts = new Parts((part, step, err) => logger.warn({ part, step, err }, 'a part of the node failed to stop cleanly'));
    for (const part of parts) if (part) this.parts.add(part);
  }

  get state(): NodeState {
    return this.#state;
  }

  get running(): boolean {
    return this.#state === 'running';
  }

  /** Starts the parts; a failure leaves the node closed (the parts already started are stopped). */
  async start(): Promise<void> {
    this.#state = 'running';
    try {
      await this.parts.start();
    } catch (err) {
      this.#state = 'closed';
      throw err;
    }
  }

  async drain(): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#state === 'running') this.#state = 'draining';
    await this.parts.drain();
    this.#stopped();
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'draining';
    await this.parts.close();
    this.#stopped();
  }

  #stopped(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#log.info('pushmesh node stopped');
  }
}
