import type { FastifyInstance } from 'fastify';
import { PushmeshError } from '../../errors/index.js';
import type { NodeCore } from '../../core/index.js';
import { payloadFromBody } from '../payload-from-body.js';
import { resolveSendAddresses } from '../resolve-send.js';
import { parseSendParams } from '../send-params.js';

export function registerMessageRoutes(app: FastifyInstance, core: NodeCore, opts: { maxTtl: number }): void {
  app.post<{ Params: { topic: string }; Querystring: Record<string, unknown>; Body: Buffer }>('/msg/:topic', async (req, reply) => {
    const data = payloadFromBody(req.headers['content-type'], req.body);
    const send = await resolveSendAddresses(core, parseSendParams(req.params.topic, req.query, data, opts));
    const result = await core.send(send);
    return reply.status(202).send(result);
  });
  app.get<{ Params: { id: string } }>('/msg/status/:id', async (req) => {
    const st = core.deliveryStatus(req.params.id);
    if (!st) throw new PushmeshError('ERR_NOT_FOUND', `no message ${req.params.id.slice(0, 64)} sent from this node is known`);
    return st;
  });
}
