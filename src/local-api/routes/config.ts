import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PushmeshError } from '../../errors/index.js';
import type { NodeMetrics } from '../../metrics/node-metrics.js';
import { isConfigRefused, type ConfigRefusal } from '../../errors/config-refused-error.js';
import { CONFIG_MEDIA_TYPE, isConfigName, NAME_RULE } from '../../signed-config/names.js';
import type { ConfigView, SignedConfigApi } from '../../signed-config/types.js';
import { errorBody } from '../http-errors.js';
import { startSse, wantsSse } from '../sse.js';

/** HTTP status of each refusal: 403 for who signed, 400 for what was signed, 503 when overloaded. */
const REFUSAL_STATUS: Record<ConfigRefusal, number> = {
  malformed: 400,
  bad_signature: 403,
  unknown_owner: 403,
  rollback: 400,
  conflict: 400,
  overloaded: 503,
};

/** An SSE client that falls this far behind (bytes unsent) is cut off. */
const MAX_SSE_BACKLOG = 1 << 20;

type ConfigRequest = FastifyRequest<{ Params: { ns: string; name: string } }>;

/**
 * Signed configuration on the local API (docs/signed-config.md):
 *
 * - `POST /config`, body a compact JWS (`application/jose` or
 *   `text/plain`): verify, keep, publish. 200 `{"status": "accepted" |
 *   "duplicate", "config", "published"}`; refused: 400/403 with
 *   `{"error": {"code": "ERR_CONFIG_REFUSED", "reason", "message"}}`.
 * - `GET /config`: every kept config, `{"configs": [...]}`.
 * - `GET /config/<ns>/<name>`: `{"namespace","name","version","data","owner",…}`
 *   or 404; with `Accept: application/jose` the signed config itself.
 * - Either GET with `Accept: text/event-stream`: SSE, `event: config`
 *   with the current config(s) first, then one event per new version.
 */
export function registerConfigRoutes(app: FastifyInstance, api: SignedConfigApi, opts: { metrics: NodeMetrics; heartbeatMs: number }): void {
  // Open SSE streams end when the server closes, so a drain never waits on them.
  const streams = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const end of [...streams]) end();
    done();
  });
  const sse = (reply: FastifyReply, only: { ns: string; name: string } | null): Promise<undefined> => stream(reply, api, only, opts.heartbeatMs, streams);
  app.post('/config', async (req, reply) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== CONFIG_MEDIA_TYPE && type !== 'text/plain') {
      throw new PushmeshError('ERR_UNSUPPORTED', `content type "${type || '(none)'}" not supported: send the compact JWS as ${CONFIG_MEDIA_TYPE} or text/plain`);
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const jws = body.toString('latin1').trim();
    if (jws.length === 0) throw new PushmeshError('ERR_BAD_ARGUMENT', 'empty body: send a signed config (compact JWS)');
    try {
      return await api.submit(jws);
    } catch (err) {
      if (!isConfigRefused(err)) throw err;
      const status = REFUSAL_STATUS[err.reason];
      opts.metrics.rejectedRequests.inc({ server: 'local', status: String(status) });
      const payload = errorBody(err.code, err.message);
      return reply.status(status).send({ error: { ...payload.error, reason: err.reason } });
    }
  });

  app.get('/config', async (req, reply) => {
    if (wantsSse(req)) return sse(reply, null);
    return { configs: api.list() };
  });

  app.get('/config/:ns/:name', async (req: ConfigRequest, reply) => {
    const { ns, name } = req.params;
    if (!isConfigName(ns) || !isConfigName(name)) throw new PushmeshError('ERR_BAD_ARGUMENT', `namespace and name must be ${NAME_RULE}`);
    if (wantsSse(req)) return sse(reply, { ns, name });
    const kept = api.get(ns, name);
    if (!kept) throw new PushmeshError('ERR_NOT_FOUND', `no verified config ${ns}/${name}`);
    if ((req.headers.accept ?? '').includes(CONFIG_MEDIA_TYPE)) return reply.type(CONFIG_MEDIA_TYPE).send(kept.jws);
    return kept.view;
  });
}

function sseEvent(view: ConfigView): string {
  return `event: config\nid: ${view.namespace}/${view.name}/${view.version}\ndata: ${JSON.stringify(view)}\n\n`;
}

/** SSE of config updates (one key, or all): the current state first, then each new version. */
async function stream(
  reply: FastifyReply,
  api: SignedConfigApi,
  only: { ns: string; name: string } | null,
  heartbeatMs: number,
  open: Set<() => void>,
): Promise<undefined> {
  const res = startSse(reply, 'pushmesh config stream');
  const matches = (v: ConfigView): boolean => only === null || (v.namespace === only.ns && v.name === only.name);
  await new Promise<void>((resolve) => {
    const send = (v: ConfigView): void => {
      if (!matches(v) || res.destroyed) return;
      if (res.writableLength > MAX_SSE_BACKLOG) {
        res.end(`event: end\ndata: ${JSON.stringify({ reason: 'slow consumer' })}\n\n`);
        return;
      }
      res.write(sseEvent(v));
    };
    const stop = api.onUpdate(send);
    const current = only === null ? api.list() : [api.get(only.ns, only.name)?.view].filter((v): v is ConfigView => v !== undefined);
    for (const v of current) send(v);
    const heartbeat = setInterval(() => res.write(': ping\n\n'), heartbeatMs);
    heartbeat.unref();
    const end = (): void => {
      if (!res.writableEnded) res.end(`event: end\ndata: ${JSON.stringify({ reason: 'node shutting down' })}\n\n`);
    };
    open.add(end);
    res.once('close', () => {
      clearInterval(heartbeat);
      stop();
      open.delete(end);
      resolve();
    });
  });
  return undefined;
}
