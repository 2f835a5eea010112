import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Whether the request asks for Server-Sent Events (`Accept: text/event-stream`). */
export function wantsSse(req: FastifyRequest): boolean {
  return (req.headers.accept ?? '').includes('text/event-stream');
}

/**
 * Takes the response over from Fastify and starts a Server-Sent Events
 * stream: 200 with the SSE headers (no caching or transforming, no proxy
 * buffering, keep-alive), flushed at once, then `comment` as an SSE
 * comment line so clients see the stream open. Returns the raw response
 * the caller writes its events to.
 */
export function startSse(reply: FastifyReply, comment: string): ServerResponse {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  res.write(`: ${comment}\n\n`);
  return res;
}
