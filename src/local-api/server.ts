import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { NodeCore } from '../core/index.js';
import type { SignedConfigApi } from '../signed-config/types.js';
import { toHttpError } from './http-errors.js';
import { registerInfoRoutes } from './routes/info.js';
import { registerMessageRoutes } from './routes/messages.js';
import { registerBatchRoutes } from './routes/batch.js';
import { registerStreamRoutes } from './routes/stream.js';
import { registerRequestRoutes } from './routes/req.js';
import { registerDashboard } from './routes/dashboard.js';
import { registerConfigRoutes } from './routes/config.js';
import { registerCloudEventRoutes } from './routes/cloudevents.js';
import { registerStatusListRoutes } from './routes/statuses.js';
import { attachAppWebSocket } from './app-websocket.js';
import { noRequestLogging } from '../util/request-logging.js';
import { checkBrowserRequest } from './browser-guard.js';
import { answerClientError } from '../util/http-client-error.js';
import { isPushmeshError } from '../errors/index.js';
import { isCapacityRefusal, retryAfterOf } from '../errors/http-status.js';
import { RefusalLog, errorSummary } from '../errors/refusal-log.js';

export interface LocalApiOptions {
  core: NodeCore;
  logger: Logger;
  maxRequestBody: number;
  maxTtl: number;
  /** Interval of SSE keep-alive comments, ms. */
  heartbeatMs?: number;
  /** Signed configuration (POST /config, GET /config/<ns>/<name>); the routes are absent without it. */
  signedConfig?: SignedConfigApi;
  /**
   * Media types a `/req` answer may be served inline (config `reqInlineTypes`,
   * docs/configuration.md); default: the node's config, else none.
   */
  reqInlineTypes?: readonly string[];
}

/** The node's `reqInlineTypes` setting when the core is a node that carries its config. */
function configuredInlineTypes(core: NodeCore): readonly string[] {
  const types = (core as { config?: { reqInlineTypes?: unknown } }).config?.reqInlineTypes;
  return Array.isArray(types) && types.every((t) => typeof t === 'string') ? (types as string[]) : [];
}

/**
 * The local API (default 127.0.0.1:15004): plain JSON for apps on this
 * machine. Built as a Fastify instance so tests can `inject()` requests
 * without a socket as well as use a real one.
 *
 * `close()` lets requests in flight finish (idle keep-alive connections
 * are closed at once, streams are ended by the bus closing); call
 * `server.closeAllConnections()` first to stop now.
 */
export function buildLocalApi(opts: LocalApiOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.logger.child({ component: 'local-api' }) as FastifyBaseLogger,
    logController: noRequestLogging(),
    bodyLimit: opts.maxRequestBody,
    return503OnClosing: true,
    clientErrorHandler: answerClientError,
    // Errors Fastify meets before routing (a URL that does not decode) get the same JSON shape as every other error.
    frameworkErrors: (err, _req, reply) => {
      const { status, body } = toHttpError(err);
      opts.core.metrics.rejectedRequests.inc({ server: 'local', status: String(status) });
      void (reply as unknown as FastifyReply).status(status).send(body);
    },
  });
  // Bodies are taken raw and parsed by the route, so every content type gets the same clear errors.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // A full outbox or store refuses every request alike: one log line per reason per interval, no stack (docs/node.md).
  const refusals = new RefusalLog(opts.logger.child({ component: 'local-api' }));
  app.setErrorHandler((err, req, reply) => {
    const { status, body } = toHttpError(err);
    const capacity = isPushmeshError(err) && isCapacityRefusal(err.code);
    if (status < 500 || capacity) opts.core.metrics.rejectedRequests.inc({ server: 'local', status: String(status) });
    if (capacity) {
      refusals.note('warn', err.code, 'refusing requests: no room for new work', { status, err: errorSummary(err) });
      const after = retryAfterOf(err.code);
      if (after !== undefined) void reply.header('retry-after', String(after));
    } else if (status >= 500) req.log.error({ err }, 'local API error');
    void reply.status(status).send(body);
  });
  // Before routing and body parsing: other sites' pages get nothing done through the user's browser.
  // Routing has happened: the guard knows which route (read-only or not) was asked for.
  app.addHook('onRequest', async (req) => checkBrowserRequest(req.raw, { route: req.routeOptions.url }));
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: { code: 'ERR_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });

  registerInfoRoutes(app, opts.core);
  registerMessageRoutes(app, opts.core, { maxTtl: opts.maxTtl });
  registerStatusListRoutes(app, opts.core);
  registerBatchRoutes(app, opts.core, { maxTtl: opts.maxTtl });
  registerStreamRoutes(app, opts.core, { heartbeatMs: opts.heartbeatMs ?? 15_000 });
  registerRequestRoutes(app, opts.core, { reqInlineTypes: opts.reqInlineTypes ?? configuredInlineTypes(opts.core) });
  if (opts.signedConfig) registerConfigRoutes(app, opts.signedConfig, { metrics: opts.core.metrics, heartbeatMs: opts.heartbeatMs ?? 15_000 });
  registerCloudEventRoutes(app, opts.core, { logger: opts.logger, maxRequestBody: opts.maxRequestBody, maxTtl: opts.maxTtl });
  registerDashboard(app);
  attachAppWebSocket(app, opts.core, { maxTtl: opts.maxTtl, maxPayload: opts.maxRequestBody });
  return app;
}
