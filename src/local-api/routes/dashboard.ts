import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../util/package-root.js';
import { STATIC_PAGE_HEADERS } from '../../util/static-page-headers.js';

const ASSETS = [
  { path: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { path: '/dashboard.js', file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  { path: '/dashboard.css', file: 'dashboard.css', type: 'text/css; charset=utf-8' },
] as const;

/**
 * The dashboard at `GET /`: static files read once at start (no build
 * step), a page that uses the public local API itself. Documented in
 * docs/dashboard.md.
 */
export function registerDashboard(app: FastifyInstance): void {
  const dir = join(packageRoot(), 'src', 'local-api', 'dashboard');
  const headers = STATIC_PAGE_HEADERS;
  for (const asset of ASSETS) {
    const body = readFileSync(join(dir, asset.file));
    app.get(asset.path, async (_req, reply) => reply.headers(headers).type(asset.type).send(body));
  }
  // Browsers ask for it on their own; answer "nothing" rather than a 404 in the console.
  app.get('/favicon.ico', async (_req, reply) => reply.headers(headers).status(204).send());
}
