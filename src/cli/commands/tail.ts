import type { Command } from 'commander';
import { PushmeshError } from '../../errors/index.js';
import { parseTopic } from '../../local-api/send-params.js';
import type { CliContext, TextSink } from '../context.js';
import { notice } from '../context.js';
import { interruptSignal } from '../interrupt.js';
import { LocalApiClient, withLocalOptions, type LocalOptions } from '../local-api-client.js';
import { parseSince } from '../since.js';
import { SseParser } from '../sse-parser.js';

interface TailOptions extends LocalOptions {
  since?: string;
  lastEventId?: string;
  json?: boolean;
}

/** The `event: end` reason of a stream the node closes on shutdown: a clean end. */
const SHUTDOWN = 'node shutting down';

/**
 * `pushmesh tail [topic]`: the messages the running node receives, one
 * JSON object per line (the `data:` of each event of `GET /msg[/<topic>]`,
 * docs/local-api.md), live, after the held ones `--since` or
 * `--last-event-id` asks for. Runs until SIGINT/SIGTERM (exit 0) or
 * until the node ends the stream: exit 0 when it shuts down, 1 for any
 * other reason (a slow consumer) or a stream cut without an end event.
 * Like every reader of the stream, it marks what it prints consumed.
 */
export function registerTail(program: Command, ctx: CliContext): void {
  withLocalOptions(program.command('tail'))
    .description('print the messages the running node receives, one JSON line each, until stopped (SSE GET /msg[/<topic>])')
    .argument('[topic]', 'only this topic (default: every topic)')
    .option('--since <time>', 'first the held messages sent since TIME: Unix ms, or a duration ago (30s, 5m, 2h, 1d)')
    .option('--last-event-id <seq>', 'first the held messages after this one (the "seq" of the last line printed): resume')
    .option('--json', 'the same JSON lines (every verb takes --json)')
    .action(async (topic: string | undefined, o: TailOptions) => {
      if (topic !== undefined) parseTopic(topic, { reading: true });
      const query = o.since === undefined ? '' : `?since=${parseSince(o.since, Date.now())}`;
      if (o.lastEventId !== undefined && !/^\d{1,20}$/.test(o.lastEventId)) throw new PushmeshError('ERR_BAD_ARGUMENT', '--last-event-id must be the "seq" number of a message');
      const api = await LocalApiClient.from(o, ctx);
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (o.lastEventId !== undefined) headers['last-event-id'] = o.lastEventId;
      const stop = interruptSignal();
      try {
        let res: Response;
        try {
          res = await api.request(`/msg${topic === undefined ? '' : `/${encodeURIComponent(topic)}`}${query}`, { headers, signal: stop.signal });
        } catch (err) {
          if (stop.signal.aborted) return;
          throw err;
        }
        const ended = await printEvents(res, ctx.stdout, stop.signal);
        if (ended === null) {
          if (stop.signal.aborted) return;
          throw new PushmeshError('ERR_IO', 'the node closed the stream without an end event');
        }
        if (ended !== SHUTDOWN) throw new PushmeshError('ERR_IO', `the node ended the stream: ${ended}`);
        notice(ctx, `the node ended the stream: ${ended}`);
      } finally {
        stop.dispose();
      }
    });
}

/** Writes each message event's data as one line; returns the `end` event's reason, or null when the stream stopped without one. */
async function printEvents(res: Response, out: TextSink, signal: AbortSignal): Promise<string | null> {
  if (!res.body) return null;
  const parser = new SseParser();
  const decoder = new TextDecoder('utf-8');
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      for (const ev of parser.push(decoder.decode(chunk, { stream: true }))) {
        if (ev.event === 'end') return endReason(ev.data);
        if (ev.event !== 'message') continue;
        if (!out.write(ev.data + '\n')) await drained(out, signal);
      }
    }
  } catch (err) {
    if (signal.aborted) return null;
    throw new PushmeshError('ERR_IO', `the stream from the node broke off (${(err as Error).message})`, { cause: err });
  }
  return null;
}

function endReason(data: string): string {
  try {
    const reason = (JSON.parse(data) as { reason?: unknown }).reason;
    if (typeof reason === 'string') return reason;
  } catch {
    /* below */
  }
  return data.slice(0, 200) || 'no reason given';
}

/** Waits until a full stdout takes writes again (or the verb is stopped). */
function drained(out: TextSink, signal: AbortSignal): Promise<void> {
  const stream = out as Partial<NodeJS.WritableStream>;
  if (typeof stream.once !== 'function') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      stream.removeListener?.('drain', done);
      resolve();
    };
    stream.once!('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}
