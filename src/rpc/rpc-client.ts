import { PushmeshError } from '../errors/index.js';
import type { NodeId } from '../identity/types.js';
import type { Message } from '../message/types.js';
import type { MeshPort } from '../core/mesh-port.js';
import { RPC_REQUEST_TOPIC } from './types.js';
import { type RpcRequest, type RpcResponse } from '../core/rpc-exchange.js';
import { readRpcResponse } from './wire.js';

interface Pending {
  to: NodeId;
  resolve: (r: RpcResponse) => void;
  reject: (e: Error) => void;
}

export interface RpcClientOptions {
  /** Requests waiting for an answer at once; more are refused (503). */
  maxPending?: number;
}

/**
 * Sends HTTP requests as messages to another node and matches the answers
 * (`pushmesh.res` messages whose `meta.re` is the request's message ID and
 * whose `from` is the node asked) back to the waiting caller.
 */
export class RpcClient {
  readonly #port: MeshPort;
  readonly #pending = new Map<string, Pending>();
  readonly #maxPending: number;

  constructor(port: MeshPort, opts: RpcClientOptions = {}) {
    this.#port = port;
    this.#maxPending = opts.maxPending ?? 1_000;
  }

  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Errors: ERR_NOT_FOUND (no route to `to`), ERR_PAYLOAD_TOO_LARGE,
   * ERR_TIMEOUT (no answer in time), ERR_UNAVAILABLE (too many pending),
   * ERR_ABORTED (signal).
   */
  async request(to: NodeId, req: RpcRequest, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<RpcResponse> {
    if (this.#pending.size >= this.#maxPending) throw new PushmeshError('ERR_UNAVAILABLE', 'too many requests waiting for answers');
    opts.signal?.throwIfAborted();
    const ttl = Math.max(1, Math.ceil(opts.timeoutMs / 1000));
    const { id } = await this.#port.send({ topic: RPC_REQUEST_TOPIC, to, data: { kind: 'json', value: req }, ttl, urgency: 'high' });
    return new Promise<RpcResponse>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(id);
      };
      const timer = setTimeout(() => {
        done();
        reject(new PushmeshError('ERR_TIMEOUT', `no answer from ${to} within ${opts.timeoutMs} ms`));
      }, opts.timeoutMs);
      const onAbort = (): void => {
        done();
        reject(new PushmeshError('ERR_ABORTED', 'request aborted', { cause: opts.signal?.reason }));
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        to,
        resolve: (r) => {
          done();
          resolve(r);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
    });
  }

  /**
   * A `pushmesh.res` message arrived. Returns false when it answers nothing
   * we wait for (late, unknown, or from another node than the one asked).
   */
  onResponse(msg: Message): boolean {
    const re = msg.meta['re'];
    const p = re === undefined ? undefined : this.#pending.get(re);
    if (!p || p.to !== msg.from) return false;
    if (msg.data.kind !== 'json') {
      p.reject(new PushmeshError('ERR_BAD_MESSAGE', 'the answer is not JSON'));
      return true;
    }
    try {
      p.resolve(readRpcResponse(msg.data.value));
    } catch (err) {
      p.reject(err as Error);
    }
    return true;
  }

  /** Fails every waiting request (node shutting down). */
  close(): void {
    for (const p of [...this.#pending.values()]) p.reject(new PushmeshError('ERR_UNAVAILABLE', 'node is shutting down'));
  }
}
