import { request, type IncomingHttpHeaders } from 'node:http';
import { SseParser } from './sse-parser.js';
import type { CleanupScope } from './temp-dir.js';

/** One Server-Sent Event as received (`event` is `message` when the server named none). */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** A received pushmesh message (`data:` of a default event), parsed. */
export type AppMessage = Record<string, unknown> & { id: string; from: string; to: string; topic: string; data: unknown };

export interface SseStream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Every event received so far, in order. */
  readonly events: SseEvent[];
  /** The `data` of every default ("message") event so far, parsed as JSON. */
  messages(): AppMessage[];
  /** Resolves with the first event (past or future) that `match` accepts. */
  waitFor(match: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** Resolves with the first received message (past or future) that `match` accepts. */
  waitForMessage(match: (m: AppMessage) => boolean, timeoutMs?: number): Promise<AppMessage>;
  /** Resolves when the server has ended the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

/**
 * Opens `GET url` with `Accept: text/event-stream` and parses the stream
 * as the SSE spec says (id/event/data fields, blank line ends an event,
 * comment lines ignored). Resolves once the response headers arrived.
 */
export function openSse(url: string, opts: { headers?: Record<string, string>; scope?: CleanupScope } = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    let waiters: { match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];
    let endResolve!: () => void;
    const ended = new Promise<void>((r) => (endResolve = r));
    const req = request(url, { headers: { accept: 'text/event-stream', ...opts.headers } }, (res) => {
      res.setEncoding('utf8');
      const parser = new SseParser();
      res.on('data', (chunk: string) => {
        for (const e of parser.feed(chunk)) {
          const ev: SseEvent = { ...e, event: e.event ?? 'message' };
          events.push(ev);
          waiters = waiters.filter((w) => {
            if (!w.match(ev)) return true;
            w.resolve(ev);
            return false;
          });
        }
      });
      res.on('end', endResolve);
      res.on('close', endResolve);
      res.on('error', endResolve);
      const parse = (e: SseEvent): AppMessage => JSON.parse(e.data) as AppMessage;
      const waitFor = (match: (e: SseEvent) => boolean, timeoutMs = 30_000): Promise<SseEvent> => {
        const seen = events.find(match);
        if (seen) return Promise.resolve(seen);
        return new Promise((res2, rej2) => {
          const timer = setTimeout(() => {
            waiters = waiters.filter((w) => w !== waiter);
            rej2(new Error(`no matching SSE event within ${timeoutMs} ms (${events.length} received)`));
          }, timeoutMs);
          const waiter = {
            match,
            resolve: (e: SseEvent) => {
              clearTimeout(timer);
              res2(e);
            },
          };
          waiters.push(waiter);
        });
      };
      const stream: SseStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        messages: () => events.filter((e) => e.event === 'message').map(parse),
        waitFor,
        waitForMessage: async (match, timeoutMs) => parse(await waitFor((e) => e.event === 'message' && match(parse(e)), timeoutMs)),
        ended,
        close: () => req.destroy(),
      };
      opts.scope?.after(() => req.destroy());
      resolve(stream);
    });
    req.on('error', reject);
    req.end();
  });
}
