import type { FastifyInstance } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../util/package-root.js';
import { STATIC_PAGE_HEADERS } from '../../util/static-page-headers.js';

/** Where the relay serves the demo page and the browser bundle, on its HTTPS port. */
export const BROWSER_DEMO_PATH = '/browser/';

/** Each file served: its URL under BROWSER_DEMO_PATH, the file (relative to the package root) and its type. */
const ASSETS = [
  { name: '', file: ['src', 'browser', 'demo', 'index.html'], type: 'text/html; charset=utf-8' },
  { name: 'demo.js', file: ['src', 'browser', 'demo', 'demo.js'], type: 'text/javascript; charset=utf-8' },
  { name: 'demo.css', file: ['src', 'browser', 'demo', 'demo.css'], type: 'text/css; charset=utf-8' },
  // The esbuild bundle of src/browser/index.ts (npm run build).
  { name: 'pushmesh-browser.js', file: ['dist', 'browser', 'pushmesh-browser.js'], type: 'text/javascript; charset=utf-8' },
  { name: 'pushmesh-browser.js.map', file: ['dist', 'browser', 'pushmesh-browser.js.map'], type: 'application/json; charset=utf-8' },
] as const;

export interface BrowserDemoFile {
  path: string;
  /** Absolute path of the file on disk. */
  file: string;
  found: boolean;
}

/** The files the demo needs, and whether each is there (the bundle only exists after `npm run build`). */
export function browserDemoFiles(root: string = packageRoot()): BrowserDemoFile[] {
  return ASSETS.map((a) => {
    const file = join(root, ...a.file);
    return { path: BROWSER_DEMO_PATH + a.name, file, found: existsSync(file) };
  });
}

/**
 * `GET /browser/`: a page that makes the visiting tab a pushmesh node
 * (its key in IndexedDB, a WebSocket link back to this relay), and the
 * files it loads. Opt-in (`--browser-demo`, `browserDemo: true`);
 * docs/browser.md. Files are read once, when the server is built; a
 * missing one (the bundle before a build) is answered 503 naming it.
 */
export function registerBrowserDemo(app: FastifyInstance, root: string = packageRoot()): void {
  const headers = STATIC_PAGE_HEADERS;
  for (const a of ASSETS) {
    const file = join(root, ...a.file);
    const body = existsSync(file) ? readFileSync(file) : null;
    app.get(BROWSER_DEMO_PATH + a.name, async (_req, reply) => {
      if (body === null) {
        return reply.status(503).send({ error: { code: 'ERR_UNAVAILABLE', message: `${a.file.join('/')} is missing: build pushmesh (npm run build)` } });
      }
      return reply.headers(headers).type(a.type).send(body);
    });
  }
  app.get(BROWSER_DEMO_PATH.slice(0, -1), async (_req, reply) => reply.redirect(BROWSER_DEMO_PATH, 308));
  // Browsers ask for it on their own; answer "nothing" rather than a 404 in the page's console.
  app.get('/favicon.ico', async (_req, reply) => reply.headers(headers).status(204).send());
}
