import type { Command } from 'commander';
import { PushmeshError } from '../errors/index.js';
import type { CliContext } from './context.js';
import { withHomeOption } from './home-option.js';
import { localApiBase } from './local-api-url.js';
import { errorOfAnswer, NodeAnswerError } from './node-answer-error.js';

/** Options of every verb that talks to the running node. */
export interface LocalOptions {
  local?: string;
  config?: string;
}

/** How long a request to the local API may take (a stream: until its headers arrive). */
export const LOCAL_API_TIMEOUT_MS = 15_000;

/**
 * Adds `--local` and `--config`, which say where the running node's local
 * API is (and `--home`, which every verb takes; these do not use it).
 */
export function withLocalOptions(command: Command): Command {
  return withHomeOption(command)
    .option('--local <addr>', "the node's local API, HOST:PORT or http://… (default: $PUSHMESH_LOCAL, else local: of --config, else 127.0.0.1:15004)")
    .option('--config <file>', "the node's config file (default $PUSHMESH_CONFIG): its local: setting is used when --local and $PUSHMESH_LOCAL are not given");
}

/**
 * The running node's local API, as the CLI's verbs use it: JSON reads,
 * posts, and streams; every failure one PushmeshError with a one-line
 * message (unreachable: ERR_UNAVAILABLE; an error answer: NodeAnswerError).
 */
export class LocalApiClient {
  readonly base: string;
  readonly #ctx: CliContext;

  constructor(base: string, ctx: CliContext) {
    this.base = base;
    this.#ctx = ctx;
  }

  /** The client for a verb's `--local`/`--config` (then `$PUSHMESH_LOCAL`, `$PUSHMESH_CONFIG`, the default). */
  static async from(o: LocalOptions, ctx: CliContext): Promise<LocalApiClient> {
    let fromConfig: string | undefined;
    const configFile = o.config ?? ctx.env['PUSHMESH_CONFIG'];
    if (o.local === undefined && ctx.env['PUSHMESH_LOCAL'] === undefined && configFile !== undefined) {
      const { layerFromFile } = await import('../config/load.js'); // only when asked: the config loader (YAML) is not light
      fromConfig = (await layerFromFile(configFile)).local;
    }
    return new LocalApiClient(localApiBase(o.local, ctx, fromConfig), ctx);
  }

  /** `GET path` as JSON. */
  async get<T>(path: string): Promise<T> {
    const res = await this.request(path, { headers: { accept: 'application/json' } });
    return (await this.#json(res)) as T;
  }

  /** `GET path` as JSON, whatever the status (for answers whose error status still carries the object, as /healthz). */
  async getAnyStatus<T>(path: string): Promise<{ status: number; body: T }> {
    try {
      return { status: 200, body: await this.get<T>(path) };
    } catch (err) {
      if (!(err instanceof NodeAnswerError) || err.body === undefined) throw err;
      return { status: err.status, body: err.body as T };
    }
  }

  /** `POST path` with `body` of `type`; the answer as JSON. */
  async post<T>(path: string, body: string, type: string): Promise<T> {
    const res = await this.request(path, { method: 'POST', headers: { 'content-type': type }, body });
    return (await this.#json(res)) as T;
  }

  /**
   * The answer to a request, its status checked (an error answer is a
   * NodeAnswerError); `signal` ends a stream early. The time limit applies
   * until the headers arrive.
   */
  async request(path: string, init: RequestInit & { signal?: AbortSignal } = {}): Promise<Response> {
    const url = this.base + path;
    const headersTimeout = new AbortController();
    const timer = setTimeout(() => headersTimeout.abort(new Error('timeout')), LOCAL_API_TIMEOUT_MS);
    const signal = init.signal ? AbortSignal.any([init.signal, headersTimeout.signal]) : headersTimeout.signal;
    let res: Response;
    try {
      res = await this.#ctx.fetch(url, { ...init, signal, redirect: 'error' });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      const why = headersTimeout.signal.aborted ? `no answer within ${LOCAL_API_TIMEOUT_MS / 1000} s` : 'connection failed';
      throw new PushmeshError('ERR_UNAVAILABLE', `no node answering at ${this.base} (${why}; is "pushmesh run" running?)`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      const { code, message } = errorOfAnswer(res.status, text);
      throw new NodeAnswerError(res.status, code, `${message} (HTTP ${res.status} ${code})`, text);
    }
    return res;
  }

  async #json(res: Response): Promise<unknown> {
    const text = await res.text();
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new PushmeshError('ERR_IO', `${this.base} answered something that is not JSON (is it a pushmesh node's local API?)`, { cause: err });
    }
  }
}
