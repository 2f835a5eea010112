import { request, type ClientRequest } from 'node:http';
import { SseParser } from './sse-parser.js';

/** One Server-Sent Event as received. */
export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
}

/**
 * A real SSE client over a socket (GET with Accept: text/event-stream):
 * collects events and lets a test wait for one that matches.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly #req: ClientRequest;
  readonly #waiters = new Set<{ match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }>();
  readonly opened: Promise<void>;

  constructor(url: string) {
    const parser = new SseParser();
    let opened!: () => void;
    let failed!: (err: Error) => void;
    this.opened = new Promise((resolve, reject) => {
      opened = resolve;
      failed = reject;
    });
    this.opened.catch(() => undefined);
    this.#req = request(url, { headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        failed(new Error(`SSE ${url}: HTTP ${res.statusCode}`));
        res.resume();
        return;
      }
      opened();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        for (const e of parser.feed(chunk)) this.#dispatch({ event: e.event ?? 'message', id: e.id, data: e.data });
      });
    });
    this.#req.on('error', (err) => failed(err));
    this.#req.end();
  }

  #dispatch(ev: SseEvent): void {
    this.events.push(ev);
    for (const w of this.#waiters) {
      if (w.match(ev)) {
        this.#waiters.delete(w);
        w.resolve(ev);
      }
    }
  }

  /** Resolves with the first event (already received or to come) that matches; rejects after `timeoutMs`. */
  waitFor(match: (e: SseEvent) => boolean, timeoutMs = 30_000): Promise<SseEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (e: SseEvent) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no matching SSE event within ${timeoutMs} ms (got ${this.events.length})`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  close(): void {
    this.#req.destroy();
  }
}
