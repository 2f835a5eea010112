import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { PushmeshError } from '../errors/index.js';
import type { LocalEvent } from '../bus/types.js';
import type { NodeCore } from '../core/index.js';
import { appJsonText } from './app-json.js';
import { checkBrowserRequest } from './browser-guard.js';
import { toHttpError } from './http-errors.js';
import { parseReplay } from './replay-params.js';
import { parseTopic } from './send-params.js';
import { OrderedSends, resolveSendAddresses } from './resolve-send.js';
import { isJsonObject, parseSendObject } from './send-object.js';

/** WebSocket close code for a consumer cut off because it fell too far behind (RFC 6455 §7.4.2 private range). */
export const WS_CLOSE_SLOW_CONSUMER = 4008;
const HIGH_WATER = 1 << 20;
/** Frames of messages ready at once are corked into one socket write up to about this much text. */
const MAX_WRITE_CHARS = 64 * 1024;
const WS_EXTRA = { type: 'message' } as const;
/** How long an app has to answer the close frame when the node shuts down. */
const CLOSE_GRACE_MS = 2000;
/** How long a consumer cut off as slow has to read up to the close frame before the socket is cut. */
const SLOW_CLOSE_GRACE_MS = 5000;

/**
 * `GET /ws` on the local API: the received-message stream plus sending,
 * as JSON text frames (documented in docs/local-api.md):
 * server → app `{"type":"message", …message}`;
 * app → server `{"type":"send","ref"?, "topic","to"?,"data","encoding"?,"ttl"?,"urgency"?,"replace"?}`,
 * answered `{"type":"sent","ref","id","status"}` or `{"type":"error","ref","error":{code,message}}`.
 */
export function attachAppWebSocket(app: FastifyInstance, core: NodeCore, opts: { maxTtl: number; maxPayload: number }): void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload });
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    let topic: string | null;
    let replay;
    try {
      checkBrowserRequest(req, { upgrade: true });
    } catch (err) {
      socket.end(`HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${(err as Error).message}`);
      return;
    }
    try {
      topic = url.searchParams.has('topic') ? parseTopic(url.searchParams.get('topic')!, { reading: true }) : null;
      replay = parseReplay(req.headers['last-event-id'], url.searchParams.get('since') ?? undefined);
    } catch (err) {
      socket.end(`HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${(err as Error).message}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, socket, core, topic, replay, opts));
  });
  // Before the HTTP server closes (it waits for every socket, upgraded ones included):
  // a close frame to each app, and a hard cut for those that do not answer it soon.
  app.addHook('preClose', async () => {
    for (const c of wss.clients) c.close(1001, 'node shutting down');
    wss.close();
    if (wss.clients.size > 0) {
      const cut = setTimeout(() => {
        for (const c of wss.clients) c.terminate();
      }, CLOSE_GRACE_MS);
      cut.unref();
    }
  });
}

function serve(ws: WebSocket, socket: Duplex, core: NodeCore, topic: string | null, replay: { after?: number; since?: number } | undefined, opts: { maxTtl: number }): void {
  const sub = core.bus.subscribe(topic, replay);
  const sends = new OrderedSends(core);
  ws.on('close', () => sub.end());
  ws.on('error', () => sub.end());
  // Each frame's send starts at once (the node accepts sends in the order they are made, so pipelined sends keep
  // their order, and a turn's sends share one commit); the answers leave in the order of the frames, those ready
  // together in one socket write (corked until the end of the tick).
  let previous: Promise<unknown> = Promise.resolve();
  let corked = false;
  const answer = (text: string): void => {
    if (ws.readyState !== ws.OPEN) return;
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(() => {
        corked = false;
        socket.uncork();
      });
    }
    ws.send(text);
  };
  ws.on('message', (raw, isBinary) => {
    const handled = handleFrame(raw as Buffer, isBinary);
    previous = previous.then(async () => answer(JSON.stringify(await handled)));
  });

  async function handleFrame(raw: Buffer, isBinary: boolean): Promise<unknown> {
    let ref: unknown;
    try {
      if (isBinary) throw new PushmeshError('ERR_BAD_ARGUMENT', 'send JSON text frames');
      let frame: Record<string, unknown>;
      try {
        frame = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        throw new PushmeshError('ERR_BAD_ARGUMENT', 'frame is not valid JSON');
      }
      if (!isJsonObject(frame)) throw new PushmeshError('ERR_BAD_ARGUMENT', 'frame must be a JSON object');
      ref = frame['ref'];
      if (frame['type'] !== 'send') throw new PushmeshError('ERR_BAD_ARGUMENT', 'unknown frame type (expected "send")');
      const result = await sends.submit(resolveSendAddresses(core, parseSendObject(frame, opts)));
      return { type: 'sent', ref, ...result };
    } catch (err) {
      return { type: 'error', ref, ...toHttpError(err).body };
    }
  }

  void (async () => {
    for (;;) {
      const first = await sub.next();
      if (first.done) break;
      if (ws.readyState !== ws.OPEN) {
        sub.end();
        break;
      }
      // One frame per message, as before; the frames of the messages handed out in this
      // event-loop turn leave in one socket write (corked around them).
      let written: Promise<unknown> | null = null;
      let chars = 0;
      socket.cork();
      try {
        for (let ev: LocalEvent | undefined = first.value; ev; ev = chars < MAX_WRITE_CHARS ? sub.takeReady() : undefined) {
          const text = appJsonText(ev, WS_EXTRA);
          chars += text.length;
          if (ws.bufferedAmount > HIGH_WATER) {
            // Over the high-water mark: wait until this frame reaches the socket; meanwhile the
            // subscription buffers (bounded) and ends a consumer that never catches up.
            written = new Promise((resolve) => ws.send(text, resolve));
            break;
          }
          ws.send(text);
        }
      } finally {
        socket.uncork();
      }
      if (written) await Promise.race([written, sub.ended()]);
    }
    const why = await sub.ended();
    if (ws.readyState !== ws.OPEN) return;
    if (why.reason === 'slow consumer') {
      ws.close(WS_CLOSE_SLOW_CONSUMER, 'slow consumer');
      // The close frame waits behind what the app has not read; do not wait for it for ever.
      setTimeout(() => ws.terminate(), SLOW_CLOSE_GRACE_MS).unref();
    } else if (why.reason === 'node shutting down') ws.close(1001, 'node shutting down');
  })();
}
