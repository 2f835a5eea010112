import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { once } from 'node:events';
import type { LocalEvent } from '../../bus/types.js';
import type { NodeCore } from '../../core/index.js';
import { appJsonText } from '../app-json.js';
import { parseReplay } from '../replay-params.js';
import { parseTopic } from '../send-params.js';
import { startSse, wantsSse } from '../sse.js';

/** Events ready at once are written together up to about this much text (then the socket's backpressure applies as before). */
const MAX_WRITE_CHARS = 64 * 1024;

/** One SSE event: the `id:` line (its seq) and one `data:` line of JSON. */
function sseEvent(ev: LocalEvent): string {
  return `id: ${ev.seq}\ndata: ${appJsonText(ev)}\n\n`;
}

/** How long an ended stream may take to flush its last events before its socket is cut. */
const END_GRACE_MS = 5000;

type StreamRequest = FastifyRequest<{ Params: { topic?: string }; Querystring: { since?: string } }>;

/**
 * `GET /msg` and `GET /msg/<topic>`: with `Accept: text/event-stream`, a
 * Server-Sent Events stream of received messages (headers flushed at
 * once, one JSON object per event, `id:` = the event's seq); otherwise the
 * held messages as one JSON answer (polling).
 */
export function registerStreamRoutes(app: FastifyInstance, core: NodeCore, opts: { heartbeatMs: number }): void {
  const handler = async (req: StreamRequest, reply: FastifyReply): Promise<unknown> => {
    const topic = req.params.topic === undefined ? null : parseTopic(req.params.topic, { reading: true });
    const replay = parseReplay(req.headers['last-event-id'], req.query.since);
    if (!wantsSse(req)) {
      const events = core.bus.held(topic, replay ?? { after: 0 });
      core.bus.markConsumed(events);
      const held = events.map((ev) => appJsonText(ev));
      return reply.type('application/json; charset=utf-8').send(`{"messages":[${held.join(',')}]}`);
    }
    const sub = core.bus.subscribe(topic, replay);
    const res = startSse(reply, 'pushmesh stream');
    const heartbeat = setInterval(() => res.write(': ping\n\n'), opts.heartbeatMs);
    heartbeat.unref();
    const onClose = (): void => sub.end();
    res.on('close', onClose);
    let cutOff = false;
    try {
      for (;;) {
        const first = await sub.next();
        if (first.done) break;
        // The events handed out in this turn (a link's frame, a batch) go out in one write, one event each as before.
        let text = sseEvent(first.value);
        for (let ev: LocalEvent | undefined; text.length < MAX_WRITE_CHARS && (ev = sub.takeReady()); ) text += sseEvent(ev);
        if (!res.write(text)) {
          // Let the socket drain; meanwhile the subscription buffers (bounded) and cuts off a consumer that never catches up.
          await Promise.race([once(res, 'drain'), sub.ended()]);
        }
      }
      const why = await sub.ended();
      if (why.reason !== 'closed' && !res.destroyed) {
        res.write(`event: end\ndata: ${JSON.stringify({ reason: why.reason })}\n\n`);
        cutOff = why.reason === 'slow consumer';
      }
    } finally {
      sub.end(); // already ended unless something threw
      clearInterval(heartbeat);
      res.off('close', onClose);
      if (!res.writableEnded) res.end();
      // A consumer cut off loses its connection too, once it has read why (no keep-alive reuse).
      if (cutOff) {
        const socket = res.socket; // detached from `res` when it finishes
        if (res.writableFinished) socket?.end();
        else res.once('finish', () => socket?.end());
      }
      // A consumer that does not read never lets the end flush: cut it after a grace period.
      if (!res.writableFinished && !res.destroyed) {
        const cut = setTimeout(() => res.destroy(), END_GRACE_MS);
        cut.unref();
        res.once('finish', () => clearTimeout(cut));
      }
    }
    return undefined;
  };
  app.get('/msg', handler);
  app.get('/msg/:topic', handler);
}
