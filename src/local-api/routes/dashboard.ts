import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../util/package-root.js';

/**
 * The page's Content Security Policy: nothing but this origin's own script,
 * style and API; no inline code, no plugins, no framing, no form posts, and
 * Trusted Types enforced so no string can reach an HTML sink (innerHTML…).
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

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
  const headers = {
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'content-security-policy': DASHBOARD_CSP,
  };
  for (const asset of ASSETS) {
    const body = readFileSync(join(dir, asset.file));
    app.get(asset.path, async (_req, reply) => reply.headers(headers).type(asset.type).send(body));
  }
  // Browsers ask for it on their own; answer "nothing" rather than a 404 in the console.
  app.get('/favicon.ico', async (_req, reply) => reply.headers(headers).status(204).send());
}
