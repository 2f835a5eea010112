import type { FastifyInstance } from 'fastify';
import type { NodeCore } from '../../node/types.js';
import { payloadFromBody } from '../payload-from-body.js';
import { parseSendParams } from '../send-params.js';

export function registerMessageRoutes(app: FastifyInstance, core: NodeCore, opts: { maxTtl: number }): void {
  app.post<{ Params: { topic: string }; Querystring: Record<string, unknown>; Body: Buffer }>('/msg/:topic', async (req, reply) => {
    const data = payloadFromBody(req.headers['content-type'], req.body);
    const send = parseSendParams(req.params.topic, req.query, data, opts);
    const result = await core.send(send);
    return reply.status(202).send(result);
  });
}
