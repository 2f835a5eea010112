import type { ConfigChannel } from './channel.js';
import { peekConfigAddress } from './format.js';

/**
 * An in-process pipe for signed configs, with the retention a real
 * backend has (JetStream "last per subject"): the last config published
 * per claimed (namespace, name) is replayed to every new subscriber.
 * Like any pipe it checks nothing; receivers verify. For tests, and for
 * several nodes in one process.
 */
export class MemoryConfigHub {
  readonly #retained = new Map<string, string>();
  readonly #listeners = new Set<(jws: string) => void>();
  /** Every config published, in order. */
  readonly published: string[] = [];

  /** A channel onto this hub (one per node). */
  channel(name = 'memory'): ConfigChannel {
    return {
      name,
      publish: async (jws) => this.#publish(jws),
      subscribe: (onConfig, signal) => this.#subscribe(onConfig, signal),
    };
  }

  #publish(jws: string): void {
    this.published.push(jws);
    const at = peekConfigAddress(jws);
    if (at) this.#retained.set(`${at.namespace}/${at.name}`, jws);
    for (const l of [...this.#listeners]) queueMicrotask(() => l(jws));
  }

  /** Replays the retained configs, then delivers new ones; resolves when `signal` aborts. */
  #subscribe(onConfig: (jws: string) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    const listener = (jws: string): void => {
      if (!signal.aborted) onConfig(jws);
    };
    for (const jws of this.#retained.values()) queueMicrotask(() => listener(jws));
    this.#listeners.add(listener);
    return new Promise((resolve) => {
      signal.addEventListener(
        'abort',
        () => {
          this.#listeners.delete(listener);
          resolve();
        },
        { once: true },
      );
    });
  }
}
