import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { LocalEvent } from '../bus/types.js';
import type { Message } from '../message/types.js';
import type { MeshPort } from '../core/mesh-port.js';
import type { StatusStore } from './status-store.js';
import { RECEIPT_TOPIC, type ReceiptData } from './types.js';

/** Receipt TTL, seconds: long enough to cross a mesh whose sender is offline for a while. */
const RECEIPT_TTL = 86_400;

/** Reads the data of a `pushmesh.receipt` message (outside input); undefined when it is not one. */
export function readReceipt(msg: Message): ReceiptData | undefined {
  if (msg.data.kind !== 'json') return undefined;
  const v = msg.data.value as Record<string, unknown> | null;
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  if (v['v'] !== 1 || v['state'] !== 'delivered' || typeof v['re'] !== 'string' || typeof v['time'] !== 'number') return undefined;
  if (v['re'].length < 1 || v['re'].length > 64 || !Number.isFinite(v['time'])) return undefined;
  return { v: 1, re: v['re'], state: 'delivered', time: v['time'] };
}

/**
 * Delivery receipts (docs/routing.md): at the destination, once an app has
 * taken a message that asked for one, send a signed, encrypted
 * `pushmesh.receipt` message back to its sender (once per message); at the
 * sender, a receipt from the node the message was for marks it delivered.
 */
export class Receipts {
  readonly #port: MeshPort;
  readonly #store: StatusStore;
  readonly #log: Logger;
  readonly #sent = new LRUCache<string, true>({ max: 100_000 });

  constructor(opts: { port: MeshPort; store: StatusStore; logger: Logger }) {
    this.#port = opts.port;
    this.#store = opts.store;
    this.#log = opts.logger;
  }

  /** Destination side: an app took `ev`. */
  onConsumed(ev: LocalEvent): void {
    const m = ev.message;
    if (!m.receipt || m.from === this.#port.id || m.to !== this.#port.id) return;
    const key = `${m.from}/${m.id}`;
    if (this.#sent.has(key)) return;
    this.#sent.set(key, true);
    const data: ReceiptData = { v: 1, re: m.id, state: 'delivered', time: Date.now() };
    this.#port
      .send({ topic: RECEIPT_TOPIC, to: m.from, data: { kind: 'json', value: data }, ttl: RECEIPT_TTL, urgency: 'normal' })
      .catch((err: unknown) => {
        this.#sent.delete(key);
        this.#log.warn({ to: m.from, re: m.id, reason: (err as Error).message }, 'could not send a delivery receipt');
      });
  }

  /** Sender side: a `pushmesh.receipt` message arrived. */
  onReceipt(msg: Message): void {
    const r = readReceipt(msg);
    if (!r) {
      this.#log.info({ from: msg.from }, 'ignoring a malformed receipt');
      return;
    }
    const cur = this.#store.get(r.re);
    // Only the node the message was for can confirm it.
    if (!cur || cur.to !== msg.from) {
      this.#log.debug({ from: msg.from, re: r.re }, 'receipt for no message sent to that node');
      return;
    }
    this.#store.update(r.re, 'delivered');
  }
}
