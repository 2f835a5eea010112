import type { FastifyInstance } from 'fastify';
import type { NodeCore } from '../../core/index.js';

export function registerInfoRoutes(app: FastifyInstance, core: NodeCore): void {
  app.get('/id', async () => ({ ...core.card(), vip6: core.identity.vip6 }));
  app.get('/peers', async () => {
    await core.refreshPeers();
    return { peers: core.peers() };
  });
  app.get('/routes', async () => ({ routes: core.routes?.() ?? [] }));
  app.get('/healthz', async (_req, reply) => {
    const h = core.health();
    return reply.status(h.ok ? 200 : 503).send(h);
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await core.metrics.registry.metrics();
    return reply.type(core.metrics.registry.contentType).send(text);
  });
}
