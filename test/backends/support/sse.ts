import { request, type IncomingMessage } from 'node:http';
import { SseParser, type SseEvent } from '../../helpers/sse-parser.js';

export type { SseEvent } from '../../helpers/sse-parser.js';

/** A local app reading a node's SSE stream (GET /msg[/topic], Accept: text/event-stream). */
export class SseClient {
  readonly #events: SseEvent[] = [];
  readonly #waiters = new Set<() => void>();
  #res: IncomingMessage | null = null;
  #closed = false;

  private constructor() {}

  /** Connects and resolves once the stream's headers arrived (the node has subscribed us). */
  static async open(url: string): Promise<SseClient> {
    const c = new SseClient();
    await new Promise<void>((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream' } }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`SSE ${url}: HTTP ${res.statusCode}`));
          res.resume();
          return;
        }
        c.#res = res;
        res.setEncoding('utf8');
        const parser = new SseParser();
        res.on('data', (chunk: string) => {
          for (const e of parser.feed(chunk)) {
            c.#events.push(e);
            c.#notify();
          }
        });
        res.on('close', () => {
          c.#closed = true;
          c.#notify();
        });
        resolve();
      });
      req.on('error', reject);
      req.end();
    });
    return c;
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** Every event so far. */
  get events(): readonly SseEvent[] {
    return this.#events;
  }

  /** Messages (parsed `data:` JSON) received so far. */
  messages<T = Record<string, unknown>>(): T[] {
    return this.#events.filter((e) => e.event === undefined).map((e) => JSON.parse(e.data) as T);
  }

  /** Resolves once `count` messages matching `pred` have arrived. */
  async waitForMessages<T = Record<string, unknown>>(count: number, timeoutMs: number, pred: (m: T) => boolean = () => true): Promise<T[]> {
    const matching = (): T[] => this.messages<T>().filter(pred);
    if (matching().length >= count) return matching();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = matching();
        if (m.length >= count) {
          done();
          resolve(m);
        } else if (this.#closed) {
          done();
          reject(new Error(`SSE stream closed after ${m.length} of ${count} messages`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`SSE: ${matching().length} of ${count} messages within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
    });
  }

  close(): void {
    this.#res?.destroy();
  }
}
