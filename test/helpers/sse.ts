import { request, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { SseParser, type SseEvent } from './sse-parser.js';
import type { CleanupScope } from './temp-dir.js';

export type { SseEvent } from './sse-parser.js';

/** A received pushmesh message (`data:` of a default event), parsed. */
export type AppMessage = Record<string, unknown> & { id: string; from: string; to: string; topic: string; data: unknown };

export interface OpenSseOptions {
  /** More request headers (`last-event-id`, …). */
  headers?: Record<string, string>;
  /** Closes the stream after the test or suite. */
  scope?: CleanupScope;
}

/**
 * A local app reading a Server-Sent Events stream over a real socket
 * (`GET` with `Accept: text/event-stream`): every event as it arrives,
 * and waits for the ones a test expects. Made by `openSse`.
 */
export class SseClient {
  /** Every event received so far, in order. */
  readonly events: SseEvent[] = [];
  /** Resolves when the server has ended the stream (or it was closed). */
  readonly ended: Promise<void>;
  readonly #req: ClientRequest;
  readonly #res: IncomingMessage;
  readonly #waiters = new Set<() => void>();
  #closed = false;

  constructor(req: ClientRequest, res: IncomingMessage) {
    this.#req = req;
    this.#res = res;
    const parser = new SseParser();
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      for (const e of parser.feed(chunk)) this.events.push(e);
      this.#notify();
    });
    this.ended = new Promise<void>((resolve) => {
      const end = (): void => {
        this.#closed = true;
        this.#notify();
        resolve();
      };
      res.once('end', end);
      res.once('close', end);
      res.once('error', end);
    });
  }

  get status(): number {
    return this.#res.statusCode ?? 0;
  }

  get headers(): IncomingHttpHeaders {
    return this.#res.headers;
  }

  /** The `data` of every default ("message") event so far, parsed as JSON. */
  messages<T = AppMessage>(): T[] {
    return this.events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data) as T);
  }

  /** Resolves with the first event (past or future) that `match` accepts; rejects after `timeoutMs` or when the stream ends first. */
  waitFor(match: (e: SseEvent) => boolean, timeoutMs = 30_000): Promise<SseEvent> {
    return this.#until(() => this.events.find(match), () => `no matching SSE event (${this.events.length} received)`, timeoutMs);
  }

  /** Resolves with the first message (past or future) that `match` accepts. */
  async waitForMessage<T = AppMessage>(match: (m: T) => boolean, timeoutMs?: number): Promise<T> {
    const parse = (e: SseEvent): T => JSON.parse(e.data) as T;
    return parse(await this.waitFor((e) => e.event === 'message' && match(parse(e)), timeoutMs));
  }

  /** Resolves once `count` messages that `pred` accepts have arrived: all of those so far. */
  waitForMessages<T = AppMessage>(count: number, timeoutMs = 30_000, pred: (m: T) => boolean = () => true): Promise<T[]> {
    const matching = (): T[] => this.messages<T>().filter(pred);
    return this.#until(
      () => {
        const m = matching();
        return m.length >= count ? m : undefined;
      },
      () => `${matching().length} of ${count} messages`,
      timeoutMs,
    );
  }

  /** Resolves once a message of every ID has arrived (repeats and others may be among them: delivery is at least once): the first of each, in arrival order. */
  waitForIds(ids: readonly string[], timeoutMs = 30_000): Promise<AppMessage[]> {
    const firstOf = (): AppMessage[] => {
      const seen = new Set<string>();
      return this.messages().filter((m) => ids.includes(String(m.id)) && !seen.has(String(m.id)) && seen.add(String(m.id)));
    };
    return this.#until(
      () => {
        const got = firstOf();
        return got.length === ids.length ? got : undefined;
      },
      () => {
        const got = new Set(firstOf().map((m) => String(m.id)));
        const missing = ids.filter((id) => !got.has(id));
        const others = this.messages().filter((m) => !ids.includes(String(m.id))).length;
        return `${got.size} of the ${ids.length} messages awaited; missing ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''} (position ${missing.slice(0, 5).map((id) => ids.indexOf(id)).join(', ')}); ${others} others arrived`;
      },
      timeoutMs,
    );
  }

  close(): void {
    this.#req.destroy();
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }

  #until<T>(ready: () => T | undefined, what: () => string, timeoutMs: number): Promise<T> {
    const now = ready();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const value = ready();
        if (value !== undefined) {
          done();
          resolve(value);
        } else if (this.#closed) {
          done();
          reject(new Error(`SSE stream ended: ${what()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`SSE: ${what()} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }
}

/**
 * Opens `GET url` with `Accept: text/event-stream`; resolves once the
 * response headers arrived (the node has subscribed us), rejects when the
 * answer is not 200.
 */
export function openSse(url: string, opts: OpenSseOptions = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...opts.headers } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`SSE ${url}: HTTP ${res.statusCode}`));
        res.resume();
        return;
      }
      opts.scope?.after(() => req.destroy());
      resolve(new SseClient(req, res));
    });
    req.on('error', reject);
    req.end();
  });
}
