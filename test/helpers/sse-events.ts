import { SseParser, type SseEvent } from './sse-parser.js';

export type { SseEvent } from './sse-parser.js';

/**
 * Opens an SSE stream with fetch and returns an async queue of its events;
 * `next(pred)` waits (bounded by `timeoutMs`) for the first event matching.
 */
export async function openSse(url: string, opts: { headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<{
  next(pred?: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}> {
  const ac = new AbortController();
  opts.signal?.addEventListener('abort', () => ac.abort(), { once: true });
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...opts.headers }, signal: ac.signal });
  if (res.status !== 200 || !res.body) throw new Error(`SSE ${url} answered ${res.status}`);
  const events: SseEvent[] = [];
  let wake = null as (() => void) | null;
  let ended = false;
  void (async () => {
    const decoder = new TextDecoder();
    const parser = new SseParser();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        for (const ev of parser.feed(decoder.decode(chunk, { stream: true }))) {
          events.push(ev);
          wake?.();
        }
      }
    } catch {
      // aborted
    } finally {
      ended = true;
      wake?.();
    }
  })();
  return {
    async next(pred = () => true, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = events.findIndex(pred);
        if (i >= 0) return events.splice(i, 1)[0]!;
        if (ended) throw new Error('SSE stream ended before the expected event');
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching SSE event within ${timeoutMs} ms`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, left);
          wake = () => {
            clearTimeout(t);
            wake = null;
            r();
          };
        });
      }
    },
    close: () => ac.abort(),
  };
}
