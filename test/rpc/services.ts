import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { CleanupScope } from '../helpers/temp-dir.js';

/** A real HTTP service on 127.0.0.1 that records every request it gets (method and raw URL). */
export interface RecordingService {
  readonly url: string;
  readonly port: number;
  readonly hits: { method: string; url: string; from: string | undefined }[];
  readonly server: Server;
}

/**
 * Starts a service on a free loopback port; `handle` answers (default: a
 * JSON echo of the method and URL). Closed after the test or suite.
 */
export async function startRecordingService(
  scope: CleanupScope,
  handle?: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<RecordingService> {
  const hits: RecordingService['hits'] = [];
  const server = createServer((req, res) => {
    const from = req.headers['x-pushmesh-from'];
    hits.push({ method: req.method ?? '', url: req.url ?? '', from: typeof from === 'string' ? from : undefined });
    req.resume();
    if (handle) return handle(req, res);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ method: req.method, url: req.url, from }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  scope.after(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, hits, server };
}

/**
 * One HTTP/1.1 request written byte for byte on a socket: the request
 * target goes out exactly as given (no URL parsing, no `..` or `\`
 * normalization, unlike fetch and http.request).
 */
export function rawHttp(port: number, method: string, target: string, headers: Record<string, string> = {}): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (!m) return reject(new Error(`no HTTP answer to ${method} ${JSON.stringify(target)}: ${JSON.stringify(text.slice(0, 200))}`));
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: Number(m[1]), head: text.slice(0, split), body: text.slice(split + 4) });
    });
    const lines = [`${method} ${target} HTTP/1.1`, `host: 127.0.0.1:${port}`, 'connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
    sock.write(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'));
  });
}
