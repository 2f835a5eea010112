import type { FrameChannel, FrameChannelEvents } from '../ads/frame-channel.js';
import type { LinkCloseReason } from '../types.js';

/**
 * One end of an in-memory frame pipe. Frames are copied and delivered on
 * a later turn of the event loop, like a socket would, so the link code
 * sees the same asynchrony as on a network.
 */
export class MemoryChannel implements FrameChannel {
  #other: MemoryChannel | null = null;
  #events: FrameChannelEvents | null = null;
  readonly #early: Array<() => void> = [];
  #ended = false;

  static pair(): [MemoryChannel, MemoryChannel] {
    const a = new MemoryChannel();
    const b = new MemoryChannel();
    a.#other = b;
    b.#other = a;
    return [a, b];
  }

  start(events: FrameChannelEvents): void {
    this.#events = events;
    for (const f of this.#early.splice(0)) f();
  }

  #deliver(f: (e: FrameChannelEvents) => void): void {
    setImmediate(() => {
      const e = this.#events;
      if (e) f(e);
      else this.#early.push(() => f(this.#events!));
    });
  }

  write(frame: Uint8Array): boolean {
    if (this.#ended) return false;
    const copy = Uint8Array.from(frame);
    const other = this.#other!;
    other.#deliver((e) => {
      if (!other.#ended) e.frame(copy);
    });
    return true;
  }

  end(reason: LinkCloseReason, message: string): void {
    this.#close(reason, message);
  }

  destroy(reason: LinkCloseReason, message: string): void {
    this.#close(reason, message);
  }

  #close(reason: LinkCloseReason, message: string): void {
    if (this.#ended) return;
    this.#ended = true;
    const other = this.#other!;
    other.#deliver((e) => {
      if (other.#ended) return;
      other.#ended = true;
      e.closed(reason, message);
    });
  }
}
