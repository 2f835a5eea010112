import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { constants } from 'node:crypto';
import type { TlsOptions } from 'node:tls';
import { isPushmeshError } from '../../errors/index.js';
import { httpStatusOf, retryAfterOf } from '../../errors/http-status.js';
import { isNodeId } from '../../identity/node-id.js';
import type { Card } from '../../identity/types.js';
import type { NodeMetrics } from '../../metrics/node-metrics.js';
import { noRequestLogging } from '../../util/request-logging.js';
import { linkAudience } from '../../message/link-audience.js';
import { nackReasonForError, type NackReason } from '../../proto/status.js';
import { MAX_WEBPUSH_BODY } from '../../webpush/index.js';
import { parsePushHeaders } from './push-headers.js';
import { parseSenderHeader, SENDER_HEADER } from './sender-header.js';
import type { AcceptPush } from './push-types.js';
import { answerClientError } from '../../util/http-client-error.js';
import { registerBrowserDemo } from './browser-demo.js';

/**
 * TLS options of the node's HTTPS server (Web Push and peer WebSockets):
 * client certificates asked for, not required, checked in code (peer
 * WebSockets authenticate with them; Web Push senders need none).
 *
 * TLS session tickets are off unless `sessionTickets` (config
 * `httpsSessionTickets`): with them a TLS 1.3 server keeps ≈ 13 KiB more
 * per idle connection (docs/benchmarks.md, "10,000 peers"), and what
 * holds connections here for long — peer links, pushmesh's own push
 * client with keep-alive — never resumes a session. Senders that open a
 * new connection per push (some Web Push services) then pay a full
 * handshake each time; turn them on for those. (OpenSSL with
 * `SSL_OP_NO_TICKET` still sends TLS 1.3 clients a ticket naming a
 * session ID, but the server keeps no session under it: nothing resumes.)
 */
export function pushServerTls(o: { key: string; cert: string; sessionTickets?: boolean }): TlsOptions & { key: string; cert: string } {
  return {
    key: o.key,
    cert: o.cert,
    requestCert: true,
    rejectUnauthorized: false,
    ...(o.sessionTickets ? {} : { secureOptions: constants.SSL_OP_NO_TICKET }),
  };
}

export interface PushServerOptions {
  logger: Logger;
  metrics: NodeMetrics;
  /** TLS options of the HTTPS server: `pushServerTls()` (client certificates asked for, checked in code; no session tickets by default). */
  tls: TlsOptions & { key: string; cert: string };
  /** Node IDs this server takes pushes for (this node's own, for now). */
  isLocalNode: (id: string) => boolean;
  accept: AcceptPush;
  /**
   * The origins a VAPID `aud` may name: the card's endpoint origin and any
   * other configured one (read per request: a node on port 0 learns its
   * own). Never built from the request's Host, which the sender chooses.
   */
  origins: () => readonly string[];
  maxTtl: number;
  /** This node's card, served on `GET /id` (so `pushmesh peer add https://…` works). */
  card?: () => Card;
  /** Serve the browser demo page and bundle under /browser/ (docs/browser.md); default off. */
  browserDemo?: boolean;
}

/**
 * The node's HTTPS server (default port 15443): the RFC 8030 push
 * endpoint `POST /push/<node-id>`, answering like a push service does:
 * 201 + Location on acceptance; 400 bad TTL/Urgency/Topic or a body that
 * does not decrypt; 401 no VAPID; 403 bad VAPID; 404 unknown node; 413
 * over 4096 bytes; 415 a content coding other than aes128gcm; 403 also
 * for a sender proof that does not verify or a sender the access lists
 * refuse. Also
 * `GET /id`: the node's card, as on the local API.
 *
 * `close()` lets requests in flight finish (idle keep-alive connections
 * are closed at once); call `server.closeAllConnections()` first to stop now.
 */
export function buildPushServer(opts: PushServerOptions): FastifyInstance {
  const reject = (status: number, code: string, message: string, reason?: NackReason) => {
    opts.metrics.rejectedRequests.inc({ server: 'push', status: String(status) });
    return { status, body: { error: reason ? { code, message, reason } : { code, message } } };
  };
  const app = Fastify({
    https: { ...opts.tls, allowHTTP1: true } as never,
    loggerInstance: opts.logger.child({ component: 'push' }) as FastifyBaseLogger,
    logController: noRequestLogging(),
    bodyLimit: MAX_WEBPUSH_BODY,
    return503OnClosing: true,
    clientErrorHandler: answerClientError,
    // Errors Fastify meets before routing (a URL that does not decode) get the same JSON shape as every other error.
    frameworkErrors: (err, _req, reply) => {
      const r = reject(400, (err as { code?: string }).code ?? 'ERR_BAD_REQUEST', err.message);
      void (reply as unknown as FastifyReply).status(r.status).send(r.body);
    },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  // RFC 8030/8291: a push body is identified by Content-Encoding; Content-Type is optional and
  // senders vary (none, empty, anything), so it is ignored rather than refused as a bad media type.
  app.addHook('onRequest', async (req) => {
    req.raw.headers['content-type'] = 'application/octet-stream';
  });

  app.setErrorHandler((err, req, reply) => {
    const e = err as { statusCode?: number; code?: string; message: string };
    if (e.statusCode === 413) {
      const r = reject(413, 'ERR_PAYLOAD_TOO_LARGE', `body over ${MAX_WEBPUSH_BODY} bytes (RFC 8291 §4)`);
      return reply.status(r.status).send(r.body);
    }
    if (e.statusCode && e.statusCode < 500) {
      const r = reject(e.statusCode, e.code ?? 'ERR_BAD_REQUEST', e.message);
      return reply.status(r.status).send(r.body);
    }
    req.log.error({ err }, 'push endpoint error');
    return reply.status(500).send({ error: { code: 'ERR_INTERNAL', message: 'internal error' } });
  });

  app.setNotFoundHandler((req, reply) => {
    const r = reject(404, 'ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
    void reply.status(r.status).send(r.body);
  });

  app.get('/id', async (_req, reply) => {
    if (!opts.card) return reply.status(404).send({ error: { code: 'ERR_NOT_FOUND', message: 'no card served here' } });
    return opts.card();
  });

  if (opts.browserDemo) registerBrowserDemo(app);

  app.post<{ Params: { id: string }; Body: Buffer | undefined }>('/push/:id', async (req, reply) => {
    const to = req.params.id;
    if (!isNodeId(to) || !opts.isLocalNode(to)) {
      const r = reject(404, 'ERR_NOT_FOUND', 'no such node here');
      return reply.status(r.status).send(r.body);
    }
    const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
    if (encoding !== 'aes128gcm') {
      const r = reject(415, 'ERR_UNSUPPORTED', 'Content-Encoding must be aes128gcm (RFC 8291)');
      return reply.status(r.status).send(r.body);
    }
    try {
      const headers = parsePushHeaders(req.headers, opts.maxTtl);
      const sender = parseSenderHeader(req.headers[SENDER_HEADER]);
      // A pushmesh node's own link audience is accepted too: a relay may forward a message over HTTPS with its origin's token.
      const audiences = [...opts.origins(), linkAudience(to)];
      const push = { ...headers, to, authorization: req.headers.authorization, audiences, body: req.body ?? Buffer.alloc(0) };
      const { id } = await opts.accept(sender ? { ...push, sender } : push);
      return reply.status(201).header('location', `/push/${to}/m/${encodeURIComponent(id)}`).send();
    } catch (err) {
      if (!isPushmeshError(err)) throw err;
      const status = httpStatusOf(err.code, 'push');
      const after = retryAfterOf(err.code);
      if (after !== undefined) void reply.header('retry-after', String(after));
      if (err.code === 'ERR_VAPID_MISSING' || err.code === 'ERR_VAPID_INVALID') opts.metrics.cryptoErrors.inc({ kind: 'vapid' });
      if (err.code === 'ERR_DECRYPT') opts.metrics.cryptoErrors.inc({ kind: 'decrypt' });
      if (status === 401) reply.header('www-authenticate', 'vapid');
      // The message is already safe for the outside: DecryptError is opaque, VapidError names the rule broken.
      const reason = (err as { nackReason?: NackReason }).nackReason ?? nackReasonForError(err);
      const r = reject(status, err.code, err.message, reason);
      return reply.status(r.status).send(r.body);
    }
  });
  return app;
}
