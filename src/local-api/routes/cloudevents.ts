import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { CloudEventIngress } from '../../backends/ingress.js';
import { binaryAttributes, mediaType, parseBinaryEvent, parseStructuredEvent, type ParsedEvent } from '../../cloudevents/index.js';
import { PushmeshError, type ErrorCode } from '../../errors/index.js';
import type { NodeCore } from '../../core/index.js';
import { errorBody, toHttpError } from '../http-errors.js';

export interface CloudEventRouteOptions {
  logger: Logger;
  maxRequestBody: number;
  maxTtl: number;
}

/**
 * `POST /ce`: one CloudEvent over HTTP, binary mode (`ce-*` headers, the
 * data as the body) or structured mode (`application/cloudevents+json`).
 * Answers 202 `{"id","status"}` when the mesh took it, 400 with the
 * SDK's validation reason for an invalid event.
 */
export function registerCloudEventRoutes(app: FastifyInstance, core: NodeCore, opts: CloudEventRouteOptions): void {
  const ingress = new CloudEventIngress({ core, logger: opts.logger.child({ component: 'ce-http' }), maxEventBytes: opts.maxRequestBody, maxTtl: opts.maxTtl });
  const limits = { maxBytes: opts.maxRequestBody };

  app.post<{ Body: Buffer | undefined }>('/ce', async (req, reply) => {
    const body = req.body ?? Buffer.alloc(0);
    const media = mediaType(req.headers['content-type']);
    let event: ParsedEvent;
    if (media?.startsWith('application/cloudevents-batch')) {
      throw new PushmeshError('ERR_UNSUPPORTED', 'batched CloudEvents are not supported: POST one event per request');
    } else if (media?.startsWith('application/cloudevents')) {
      if (media !== 'application/cloudevents+json') throw new PushmeshError('ERR_UNSUPPORTED', `event format "${media}" not supported: use application/cloudevents+json`);
      event = parseStructuredEvent(body, limits);
    } else {
      const attributes = binaryAttributes(Object.entries(req.headers), { percentEncoded: true });
      if (attributes['specversion'] === undefined && attributes['id'] === undefined) {
        throw new PushmeshError('ERR_BAD_EVENT', 'no CloudEvent in the request: send ce-* headers (binary mode) or an application/cloudevents+json body (structured mode)');
      }
      event = parseBinaryEvent(attributes, body, limits);
    }
    const result = await ingress.ingestEvent(event, 'http');
    switch (result.kind) {
      case 'accepted':
      case 'duplicate':
        return reply.status(202).send({ id: result.id, status: result.kind });
      case 'ignored':
        return reply.status(202).send({ status: 'ignored', reason: result.reason });
      case 'retry':
        return reply.status(503).send(errorBody('ERR_UNAVAILABLE', result.reason));
      case 'refused': {
        const code = (result.code ?? 'ERR_BAD_EVENT') as ErrorCode;
        const { status } = toHttpError(new PushmeshError(code, result.reason));
        return reply.status(status >= 500 ? 400 : status).send(errorBody(code, result.reason));
      }
    }
  });
}
