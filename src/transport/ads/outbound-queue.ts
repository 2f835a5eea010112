import { PushmeshError } from '../../errors/index.js';
import type { SendOutcome } from '../types.js';

/** One message on its way out: waiting in the queue, then in flight until the peer answers. */
export class PendingSend {
  readonly bytes: Uint8Array;
  #resolve: (o: SendOutcome) => void;
  #reject: (e: unknown) => void;
  #signal: AbortSignal | undefined;
  #onAbort: (() => void) | undefined;
  settled = false;

  constructor(bytes: Uint8Array, resolve: (o: SendOutcome) => void, reject: (e: unknown) => void, signal: AbortSignal | undefined) {
    this.bytes = bytes;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#signal = signal;
    if (signal) {
      this.#onAbort = () => this.fail(signal.reason);
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  answer(outcome: SendOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.#detach();
    this.#resolve(outcome);
  }

  fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.#detach();
    this.#reject(err);
  }

  #detach(): void {
    if (this.#onAbort) this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#onAbort = undefined;
  }
}

export function linkClosedError(message: string): PushmeshError {
  return new PushmeshError('ERR_LINK_CLOSED', message);
}

/** FIFO of pending sends with O(1) take from the front. */
export class SendQueue {
  #items: PendingSend[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(p: PendingSend): void {
    this.#items.push(p);
  }

  peek(): PendingSend | undefined {
    return this.#items[this.#head];
  }

  shift(): PendingSend | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const p = this.#items[this.#head]!;
    this.#items[this.#head++] = undefined as unknown as PendingSend;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return p;
  }

  /** Removes and returns everything still queued. */
  clear(): PendingSend[] {
    const rest = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return rest;
  }
}
