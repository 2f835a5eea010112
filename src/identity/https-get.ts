import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { nodeIdOfCertificate } from './certificate-node-id.js';
import type { NodeId } from './types.js';

/** What an HTTPS GET brought back, and what the server's certificate proved. */
export interface HttpsGetResult {
  status: number;
  statusText: string;
  /** The body, or null when it was over `maxBytes`. */
  body: Buffer | null;
  /** The certificate chains to a trusted CA and names the host. */
  authorized: boolean;
  /** Node ID of the P-256 key in the server's certificate (null: not P-256). */
  peerId: NodeId | null;
}

/**
 * GET over HTTPS that does not require a CA-signed certificate: it
 * reports instead whether the certificate was CA-verified and whose key
 * it holds, so the caller can accept a node's self-signed certificate
 * exactly when its key is the node's own. Follows no redirects.
 */
export function httpsGet(url: URL, opts: { signal: AbortSignal; maxBytes: number; headers?: Record<string, string> }): Promise<HttpsGetResult> {
  return new Promise((resolve, reject) => {
    let authorized = false;
    let peerId: NodeId | null = null;
    const req = request(url, { method: 'GET', headers: opts.headers ?? {}, rejectUnauthorized: false, agent: false, signal: opts.signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > opts.maxBytes) {
          over = true;
          res.destroy();
          resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', body: null, authorized, peerId });
        } else chunks.push(c);
      });
      res.on('end', () => {
        if (!over) resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', body: Buffer.concat(chunks), authorized, peerId });
      });
      res.on('error', reject);
    });
    req.on('socket', (s) => {
      const tls = s as TLSSocket;
      tls.once('secureConnect', () => {
        authorized = tls.authorized;
        const cert = tls.getPeerX509Certificate();
        peerId = cert ? nodeIdOfCertificate(cert) : null;
      });
    });
    req.on('error', reject);
    req.end();
  });
}
