import { Agent, request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';

// web-push is CommonJS whose exports Node cannot list for ESM named imports.
const require = createRequire(import.meta.url);
/** The `web-push` npm library: the reference Web Push sender in tests. */
export const webPush = require('web-push') as typeof import('web-push');

/**
 * An https.Agent that trusts exactly one node's self-signed certificate:
 * the certificate is the only CA, and the name checked is the node ID (the
 * certificate's DNS subjectAltName), so the TLS check is a full one.
 */
export function agentTrusting(node: { certPem: string; id: string }): Agent {
  return new Agent({ ca: node.certPem, servername: node.id, keepAlive: false });
}

export interface HttpsAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTPS request through `agent`; resolves with whatever the server answered. */
export function httpsRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string | number>; body?: Buffer | string; agent: Agent },
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'POST', headers: opts.headers ?? {}, agent: opts.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
