import type { FastifyInstance } from 'fastify';
import { PushmeshError } from '../../errors/index.js';
import type { NodeCore, SendResult } from '../../core/index.js';
import { toHttpError, type ErrorBody } from '../http-errors.js';
import { OrderedSends, resolveSendAddresses } from '../resolve-send.js';
import { isJsonObject, parseSendObject } from '../send-object.js';

/** Most messages in one `POST /msgs`. */
export const MAX_BATCH = 1000;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const bad = (message: string): PushmeshError => new PushmeshError('ERR_BAD_ARGUMENT', message);

/** The items of a batch body: a JSON array (`application/json`) or one JSON object per line (`application/x-ndjson`). */
export function batchItems(contentType: string | undefined, body: Buffer | undefined): unknown[] {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const ndjson = type === 'application/x-ndjson' || type === 'application/jsonl';
  if (!ndjson && type !== 'application/json') {
    throw new PushmeshError('ERR_UNSUPPORTED', `content type "${type || '(none)'}" not supported: use application/json (an array) or application/x-ndjson`);
  }
  let text: string;
  try {
    text = utf8.decode(body ?? Buffer.alloc(0));
  } catch (err) {
    throw new PushmeshError('ERR_BAD_ARGUMENT', 'body is not valid UTF-8', { cause: err });
  }
  let items: unknown[];
  if (ndjson) {
    items = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '') continue;
      try {
        items.push(JSON.parse(line));
      } catch (err) {
        throw new PushmeshError('ERR_BAD_ARGUMENT', `line ${i + 1} is not valid JSON: ${(err as Error).message}`, { cause: err });
      }
    }
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new PushmeshError('ERR_BAD_ARGUMENT', `body is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    if (!Array.isArray(parsed)) throw bad('body must be a JSON array of messages');
    items = parsed;
  }
  if (items.length === 0) throw bad('no messages in the batch');
  if (items.length > MAX_BATCH) throw bad(`at most ${MAX_BATCH} messages in one batch (got ${items.length})`);
  return items;
}

/** One message's outcome in a batch answer. */
export type BatchResult = SendResult | ErrorBody;

/**
 * `POST /msgs`: several messages in one request, for apps that want
 * throughput (one request and one answer per batch instead of per
 * message). Each item is the object of a WebSocket `send` frame; they are
 * accepted in the order given, in one commit, each on its own: one that
 * is refused does not stop the others. Answers 202 with
 * `{"results":[{"id","status"} | {"error":{code,message}}, …]}`, one per
 * item in the same order. A body that is not a batch (bad JSON, not an
 * array, empty, too many) is refused whole with 400/415.
 */
export function registerBatchRoutes(app: FastifyInstance, core: NodeCore, opts: { maxTtl: number }): void {
  app.post<{ Body: Buffer }>('/msgs', async (req, reply) => {
    const items = batchItems(req.headers['content-type'], req.body);
    // All sent at once: the node accepts them in this order (send() keeps its callers' order, and OrderedSends keeps
    // it for those with VIP6 addresses to resolve) and commits them together.
    const ordered = new OrderedSends(core);
    const sends = items.map(async (item, i): Promise<SendResult> => {
      if (!isJsonObject(item)) throw bad(`message ${i} must be a JSON object`);
      return ordered.submit(resolveSendAddresses(core, parseSendObject(item, opts)));
    });
    const results: BatchResult[] = [];
    for (const outcome of await Promise.allSettled(sends)) {
      if (outcome.status === 'fulfilled') {
        results.push(outcome.value);
        continue;
      }
      const { status, body } = toHttpError(outcome.reason);
      if (status === 500) req.log.error({ err: outcome.reason }, 'local API error (POST /msgs)');
      results.push(body);
    }
    return reply.status(202).send({ results });
  });
}
