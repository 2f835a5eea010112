import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../util/package-root.js';

/** The dashboard: one static page (no build step) that uses the public local API itself. */
export function registerDashboard(app: FastifyInstance): void {
  const dir = join(packageRoot(), 'src', 'local-api', 'dashboard');
  const html = readFileSync(join(dir, 'index.html'));
  const js = readFileSync(join(dir, 'dashboard.js'));
  const css = readFileSync(join(dir, 'dashboard.css'));
  const headers = { 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };
  app.get('/', async (_req, reply) =>
    reply
      .headers({ ...headers, 'content-security-policy': "default-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'" })
      .type('text/html; charset=utf-8')
      .send(html),
  );
  app.get('/dashboard.js', async (_req, reply) => reply.headers(headers).type('text/javascript; charset=utf-8').send(js));
  app.get('/dashboard.css', async (_req, reply) => reply.headers(headers).type('text/css; charset=utf-8').send(css));
}
