import type { Logger } from 'pino';
import { isPushmeshError } from '../errors/index.js';
import type { Message } from '../message/types.js';
import type { MeshPort } from '../core/mesh-port.js';
import type { ServiceConfig } from '../config/types.js';
import { RPC_RESPONSE_TOPIC } from './types.js';
import { type RpcResponse } from '../core/rpc-exchange.js';
import { carriedHeaders, readRpcRequest } from './wire.js';
import { resolveServiceUrl, serviceTarget, type ServiceTarget } from './service-url.js';

/** Answer TTL, seconds: the caller gives up at its own timeout anyway. */
const ANSWER_TTL = 60;
/**
 * Largest service answer body read, bytes. One message carries about
 * 2.5 KiB of body, so a larger answer could never be sent: reading stops
 * there (the connection to the service is cut) and the caller gets 502.
 */
export const MAX_ANSWER_BODY = 4096;

export interface RpcServerOptions {
  port: MeshPort;
  /** null: this node exposes no service (every request gets 404). */
  service: ServiceConfig | null;
  logger: Logger;
  /** Requests forwarded to the service at once; more get 503. */
  maxInFlight?: number;
  /** Largest answer body read from the service, bytes (default MAX_ANSWER_BODY). */
  maxAnswerBody?: number;
}

/** An answer the node makes itself (not the service): the status, and why in `error` and in a JSON body. */
function fail(status: number, error: string): RpcResponse {
  return { v: 1, status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ error })).toString('base64'), error };
}

/**
 * Answers `pushmesh.req` messages: checks the sender against the
 * allow-list, forwards the request to the configured local HTTP service and
 * sends its answer back as a `pushmesh.res` message.
 */
export class RpcServer {
  readonly #opts: RpcServerOptions;
  readonly #inFlight = new Set<AbortController>();
  readonly #maxInFlight: number;
  readonly #maxAnswerBody: number;
  readonly #target: ServiceTarget | null;

  constructor(opts: RpcServerOptions) {
    this.#opts = opts;
    this.#maxInFlight = opts.maxInFlight ?? 64;
    this.#maxAnswerBody = opts.maxAnswerBody ?? MAX_ANSWER_BODY;
    this.#target = opts.service ? serviceTarget(opts.service.target) : null;
  }

  /** Handles one request message; never throws (failures become answers or log lines). */
  async onRequest(msg: Message): Promise<void> {
    const res = await this.#answer(msg);
    await this.#reply(msg, res);
  }

  async #answer(msg: Message): Promise<RpcResponse> {
    const service = this.#opts.service;
    const target = this.#target;
    if (!service || !target) return fail(404, 'this node exposes no service');
    if (!service.allow.includes(msg.from)) return fail(403, 'sender is not allowed to call this service');
    if (msg.data.kind !== 'json') return fail(400, 'request is not JSON');
    let req;
    let url: URL;
    try {
      req = readRpcRequest(msg.data.value);
      // The one place that decides where a request goes: under the target's origin and base path, or nowhere.
      url = resolveServiceUrl(target, req.path);
    } catch (err) {
      return fail(400, `bad request: ${(err as Error).message}`);
    }
    if (this.#inFlight.size >= this.#maxInFlight) return fail(503, 'service busy: too many requests in flight');
    const ac = new AbortController();
    this.#inFlight.add(ac);
    const timer = setTimeout(() => ac.abort(new Error('timeout')), service.timeoutMs);
    try {
      const init: RequestInit = { method: req.method, headers: { ...req.headers, 'x-pushmesh-from': msg.from }, signal: ac.signal, redirect: 'manual' };
      if (req.body !== '' && req.method !== 'GET' && req.method !== 'HEAD') init.body = Buffer.from(req.body, 'base64');
      const r = await fetch(url, init);
      const body = await this.#readCapped(r, ac);
      if (!body) return fail(502, `the service answer does not fit in one message: over ${this.#maxAnswerBody} bytes`);
      const headers = carriedHeaders(Object.fromEntries(r.headers));
      delete headers['content-encoding']; // fetch already decoded the body
      return { v: 1, status: r.status, headers, body: body.toString('base64') };
    } catch (err) {
      if (ac.signal.aborted) return fail(504, `service did not answer within ${service.timeoutMs} ms`);
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return fail(502, `service unreachable${cause ? ` (${cause})` : ''}`);
    } finally {
      clearTimeout(timer);
      this.#inFlight.delete(ac);
    }
  }

  /**
   * The answer body, read as it streams in; null as soon as it (or its
   * declared Content-Length) is over the cap, the connection to the
   * service then cut: an answer is never buffered whole before the check.
   */
  async #readCapped(r: Response, ac: AbortController): Promise<Buffer | null> {
    const max = this.#maxAnswerBody;
    const over = async (): Promise<null> => {
      await r.body?.cancel().catch(() => undefined);
      ac.abort(new Error('answer too large'));
      return null;
    };
    const declared = Number(r.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > max) return over();
    if (!r.body) return Buffer.alloc(0);
    const chunks: Buffer[] = [];
    let size = 0;
    const reader = r.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        reader.releaseLock();
        return over();
      }
      chunks.push(Buffer.from(value));
    }
    return Buffer.concat(chunks, size);
  }

  async #reply(msg: Message, res: RpcResponse): Promise<void> {
    const send = (value: RpcResponse) =>
      this.#opts.port.send({ topic: RPC_RESPONSE_TOPIC, to: msg.from, data: { kind: 'json', value }, ttl: ANSWER_TTL, urgency: 'high', meta: { re: msg.id } });
    try {
      await send(res);
    } catch (err) {
      if (isPushmeshError(err) && err.code === 'ERR_PAYLOAD_TOO_LARGE') {
        await send(fail(502, 'the service answer does not fit in one message')).catch(() => undefined);
        return;
      }
      this.#opts.logger.warn({ to: msg.from, re: msg.id, reason: (err as Error).message }, 'could not send a request answer');
    }
  }

  /** Aborts requests in flight at the service. */
  close(): void {
    for (const ac of this.#inFlight) ac.abort(new Error('node shutting down'));
  }
}
