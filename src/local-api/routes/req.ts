import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PushmeshError } from '../../errors/index.js';
import { isNodeId } from '../../identity/node-id.js';
import type { NodeCore } from '../../node/types.js';
import { carriedHeaders } from '../../rpc/wire.js';

/** Default and largest wait for an answer, ms (`X-Pushmesh-Timeout` picks another, in ms). */
const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_TIMEOUT_MS = 120_000;

type ReqRequest = FastifyRequest<{ Params: { id: string; '*': string }; Body: Buffer | undefined }>;

/**
 * `ANY /req/<node-id>/<path>`: an HTTP request to the service that node
 * exposes over the mesh; the answer comes back as this request's answer.
 * 504 when no answer arrives in time, 502 when the service is unreachable,
 * 403 when that node does not allow this one (docs/request-response.md).
 */
export function registerRequestRoutes(app: FastifyInstance, core: NodeCore): void {
  const handler = async (req: ReqRequest, reply: FastifyReply): Promise<unknown> => {
    const { id } = req.params;
    if (!isNodeId(id)) throw new PushmeshError('ERR_BAD_ARGUMENT', 'the node ID in /req/<node-id>/… must be a full 52-character node ID');
    const timeoutText = req.headers['x-pushmesh-timeout'];
    let timeoutMs = DEFAULT_TIMEOUT_MS;
    if (timeoutText !== undefined) {
      timeoutMs = Number(timeoutText);
      if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
        throw new PushmeshError('ERR_BAD_ARGUMENT', `X-Pushmesh-Timeout must be 1-${MAX_TIMEOUT_MS} ms`);
      }
    }
    const q = req.url.indexOf('?');
    const path = `/${req.params['*']}${q >= 0 ? req.url.slice(q) : ''}`;
    const ac = new AbortController();
    const onClose = (): void => ac.abort(new Error('client went away'));
    req.raw.on('close', onClose);
    try {
      const res = await core.request(
        id,
        { v: 1, method: req.method, path, headers: carriedHeaders(req.headers), body: (req.body ?? Buffer.alloc(0)).toString('base64') },
        { timeoutMs, signal: ac.signal },
      );
      void reply.status(res.status).headers({ ...res.headers, 'x-pushmesh-from': id });
      if (res.error !== undefined) void reply.header('x-pushmesh-error', res.error);
      return reply.send(Buffer.from(res.body, 'base64'));
    } finally {
      req.raw.off('close', onClose);
    }
  };
  app.all('/req/:id/*', handler);
}
