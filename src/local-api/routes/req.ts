import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PushmeshError } from '../../errors/index.js';
import { isNodeId } from '../../identity/node-id.js';
import { looksLikeIpv6 } from '../../identity/vip6.js';
import type { NodeCore } from '../../core/index.js';
import { normalizeServicePath } from '../../rpc/service-url.js';
import { carriedHeaders } from '../../rpc/wire.js';
import { INLINE_REQUEST_HEADER, REQ_ANSWER_CSP, answersInline, reqAnswerHeaders } from '../req-answer-headers.js';

/** Default and largest wait for an answer, ms (`X-Pushmesh-Timeout` picks another, in ms). */
const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_TIMEOUT_MS = 120_000;
/** The route; the browser guard (browser-guard.ts) refuses every method on it from other sites' pages and navigations. */
export const REQ_ROUTE = '/req/:id/*';

type ReqRequest = FastifyRequest<{ Params: { id: string; '*': string }; Body: Buffer | undefined }>;

/**
 * The request path below `/req/<node-id>`, as the caller wrote it (taken
 * from the raw URL, not from the router's decoded parameter, so that it
 * is percent-decoded exactly once, by normalizeServicePath).
 */
function rawServicePath(url: string, id: string): string {
  const q = url.indexOf('?');
  const pathPart = q < 0 ? url : url.slice(0, q);
  const parts = pathPart.split('/');
  // ['', 'req', '<id>', …rest]: the router matched these two segments, possibly %-encoded.
  let idSeg: string;
  try {
    idSeg = decodeURIComponent(parts[2] ?? '');
  } catch {
    idSeg = '';
  }
  if (parts.length < 4 || parts[0] !== '' || idSeg !== id) throw new PushmeshError('ERR_BAD_ARGUMENT', 'the URL must be /req/<node-id>/<path>');
  return `/${parts.slice(3).join('/')}${q < 0 ? '' : url.slice(q)}`;
}

/** A header value a peer sent, safe to put in an HTTP header (printable, bounded). */
function headerSafe(v: string): string {
  return v.replace(/[^\x20-\x7e]/g, '?').slice(0, 512);
}

/**
 * `ANY /req/<node-id>/<path>`: an HTTP request to the service that node
 * exposes over the mesh; the answer comes back as this request's answer.
 * 504 when no answer arrives in time, 502 when the service is unreachable,
 * 403 when that node does not allow this one (docs/request-response.md).
 * A path that could leave the service is refused here already (400);
 * the node next to the service checks it again, and that check is the one
 * that holds. Answers carry headers that keep them from acting in this
 * origin (req-answer-headers.ts).
 */
export function registerRequestRoutes(app: FastifyInstance, core: NodeCore, opts: { reqInlineTypes: readonly string[] }): void {
  // Every answer on the route, errors and refusals included, gets the same protective headers.
  app.addHook('onSend', async (req, reply, payload) => {
    if (req.routeOptions.url !== REQ_ROUTE) return payload;
    // The handler set them on a real answer; a refusal or an error gets them here.
    if (reply.getHeader('content-security-policy') !== REQ_ANSWER_CSP) void reply.headers(reqAnswerHeaders({}, { inline: false }));
    return payload;
  });

  const handler = async (req: ReqRequest, reply: FastifyReply): Promise<unknown> => {
    const address = req.params.id;
    if (!isNodeId(address) && !looksLikeIpv6(address)) throw new PushmeshError('ERR_BAD_ARGUMENT', 'the node in /req/<node>/… must be a full 52-character node ID or a VIP6 address');
    const timeoutText = req.headers['x-pushmesh-timeout'];
    let timeoutMs = DEFAULT_TIMEOUT_MS;
    if (timeoutText !== undefined) {
      timeoutMs = Number(timeoutText);
      if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
        throw new PushmeshError('ERR_BAD_ARGUMENT', `X-Pushmesh-Timeout must be 1-${MAX_TIMEOUT_MS} ms`);
      }
    }
    const path = normalizeServicePath(rawServicePath(req.url, address));
    const id = await core.resolveNode(address);
    const headers = carriedHeaders(req.headers);
    // A browser adds this machine's cookies for 127.0.0.1 (any port's); they are not the caller's to give away.
    if (req.headers['sec-fetch-site'] !== undefined || req.headers.origin !== undefined) delete headers['cookie'];
    const ac = new AbortController();
    const onClose = (): void => ac.abort(new Error('client went away'));
    req.raw.on('close', onClose);
    try {
      const res = await core.request(
        id,
        { v: 1, method: req.method, path, headers, body: (req.body ?? Buffer.alloc(0)).toString('base64') },
        { timeoutMs, signal: ac.signal },
      );
      const inline = answersInline(req.headers[INLINE_REQUEST_HEADER], res.headers['content-type'], opts.reqInlineTypes);
      void reply.status(res.status).headers({ ...reqAnswerHeaders(res.headers, { inline }), 'x-pushmesh-from': id });
      if (res.error !== undefined) void reply.header('x-pushmesh-error', headerSafe(res.error));
      return reply.send(Buffer.from(res.body, 'base64'));
    } finally {
      req.raw.off('close', onClose);
    }
  };
  app.all(REQ_ROUTE, handler);
}
