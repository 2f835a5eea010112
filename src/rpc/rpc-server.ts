import type { Logger } from 'pino';
import { isPushmeshError } from '../errors/index.js';
import type { Message } from '../message/types.js';
import type { MeshPort } from './mesh-port.js';
import type { ServiceConfig } from '../config/types.js';
import { RPC_RESPONSE_TOPIC, type RpcResponse } from './types.js';
import { carriedHeaders, readRpcRequest } from './wire.js';

/** Answer TTL, seconds: the caller gives up at its own timeout anyway. */
const ANSWER_TTL = 60;

export interface RpcServerOptions {
  port: MeshPort;
  /** null: this node exposes no service (every request gets 404). */
  service: ServiceConfig | null;
  logger: Logger;
  /** Requests forwarded to the service at once; more get 503. */
  maxInFlight?: number;
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

  constructor(opts: RpcServerOptions) {
    this.#opts = opts;
    this.#maxInFlight = opts.maxInFlight ?? 64;
  }

  /** Handles one request message; never throws (failures become answers or log lines). */
  async onRequest(msg: Message): Promise<void> {
    const res = await this.#answer(msg);
    await this.#reply(msg, res);
  }

  async #answer(msg: Message): Promise<RpcResponse> {
    const fail = (status: number, error: string): RpcResponse => ({ v: 1, status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ error })).toString('base64'), error });
    const service = this.#opts.service;
    if (!service) return fail(404, 'this node exposes no service');
    if (!service.allow.includes(msg.from)) return fail(403, 'sender is not allowed to call this service');
    if (msg.data.kind !== 'json') return fail(400, 'request is not JSON');
    let req;
    try {
      req = readRpcRequest(msg.data.value);
    } catch (err) {
      return fail(400, `bad request: ${(err as Error).message}`);
    }
    if (this.#inFlight.size >= this.#maxInFlight) return fail(503, 'service busy: too many requests in flight');
    const ac = new AbortController();
    this.#inFlight.add(ac);
    const timer = setTimeout(() => ac.abort(new Error('timeout')), service.timeoutMs);
    try {
      const url = new URL(req.path, service.target);
      const init: RequestInit = { method: req.method, headers: { ...req.headers, 'x-pushmesh-from': msg.from }, signal: ac.signal, redirect: 'manual' };
      if (req.body !== '' && req.method !== 'GET' && req.method !== 'HEAD') init.body = Buffer.from(req.body, 'base64');
      const r = await fetch(url, init);
      const body = Buffer.from(await r.arrayBuffer());
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

  async #reply(msg: Message, res: RpcResponse): Promise<void> {
    const send = (value: RpcResponse) =>
      this.#opts.port.send({ topic: RPC_RESPONSE_TOPIC, to: msg.from, data: { kind: 'json', value }, ttl: ANSWER_TTL, urgency: 'high', meta: { re: msg.id } });
    try {
      await send(res);
    } catch (err) {
      if (isPushmeshError(err) && err.code === 'ERR_PAYLOAD_TOO_LARGE') {
        const error = 'the service answer does not fit in one message';
        await send({ v: 1, status: 502, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ error })).toString('base64'), error }).catch(() => undefined);
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
