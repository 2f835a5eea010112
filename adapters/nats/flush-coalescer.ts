import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Core NATS has no per-message acknowledgement; a flush (PING/PONG) is
 * the proof that the server got everything published before it. Publishes
 * made in the same turn of the event loop share one flush.
 */
export class FlushCoalescer {
  #next: Promise<void> | null = null;

  flush(nc: NatsConnection): Promise<void> {
    this.#next ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        this.#next = null;
        nc.flush().then(resolve, reject);
      });
    });
    return this.#next;
  }
}
