import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CleanupScope } from './temp-dir.js';

export interface TestServer {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  readonly url: string;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1, port chosen by the OS, closed after the test when `scope` is given. */
export async function startHttpServer(handler: RequestListener, scope?: CleanupScope): Promise<TestServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  scope?.after(close);
  return { url: `http://127.0.0.1:${port}`, close };
}

/** A server answering `GET /id` with `body` (a card, or anything else a test wants to send). */
export function startCardServer(body: unknown, scope?: CleanupScope): Promise<TestServer> {
  return startHttpServer((req, res) => {
    if (req.method === 'GET' && req.url === '/id') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    } else {
      res.writeHead(404).end();
    }
  }, scope);
}
