import { decodeWebpushMessage, encodeWebpushMessage } from '../../../src/proto/index.js';
import { newMessageId, type WebpushMessage } from '../../../src/message/index.js';

/** A valid WebpushMessage for `to` from `from` (the body is junk of the smallest aes128gcm size: the fabric never opens it). */
export function fabricWire(from: string, to: string, overrides: Partial<WebpushMessage> = {}): { msg: WebpushMessage; wire: Buffer } {
  const msg: WebpushMessage = {
    id: newMessageId(),
    from,
    to,
    ttl: 3600,
    urgency: 'normal',
    replace: '',
    time: Date.now(),
    path: [],
    via: [],
    hopLimit: 8,
    receipt: false,
    authorization: 'vapid t=x, k=y',
    body: new Uint8Array(103),
    ...overrides,
  };
  return { msg, wire: encodeWebpushMessage(msg) };
}

/**
 * What a relay's deliver() got, in order, and a way to wait for a
 * condition on it. `answer` decides what deliver() resolves with.
 */
export class Deliveries {
  readonly calls: string[] = [];
  readonly accepted: string[] = [];
  answer: (id: string, attempt: number) => boolean | Promise<boolean> = () => true;
  readonly #waiters = new Set<() => void>();

  readonly deliver = async (wire: Uint8Array): Promise<boolean> => {
    const id = decodeWebpushMessage(wire).id;
    this.calls.push(id);
    this.#changed();
    const ok = await this.answer(id, this.calls.filter((c) => c === id).length);
    if (ok) this.accepted.push(id);
    this.#changed();
    return ok;
  };

  #changed(): void {
    for (const w of [...this.#waiters]) w();
  }

  until(pred: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`${what}: not within ${timeoutMs} ms (calls ${this.calls.length}, accepted ${this.accepted.length})`));
      }, timeoutMs);
      const check = (): void => {
        if (!pred()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }

  /** Resolves once `id` was accepted. */
  got(id: string, timeoutMs?: number): Promise<void> {
    return this.until(() => this.accepted.includes(id), `delivery of ${id}`, timeoutMs);
  }
}
