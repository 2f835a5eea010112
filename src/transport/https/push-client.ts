import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { LRUCache } from 'lru-cache';
import type { Card } from '../../identity/types.js';
import type { Urgency } from '../../message/types.js';
import { peerNodeId } from './peer-certificate.js';
import { formatSenderHeader, SENDER_HEADER, type SenderProofHeader } from './sender-header.js';

/** A receiver's error answer: `{"error":{"code","message","reason"?}}` (reason: a NACK token). */
export interface PushError {
  code?: string;
  message: string;
  reason?: string;
}

/** The HTTP answer to one push. */
export interface PushAnswer {
  status: number;
  error?: PushError;
}

export interface PushRequest {
  card: Card;
  body: Buffer;
  authorization: string;
  ttl: number;
  urgency: Urgency;
  topic?: string;
  /** The origin's sender proof, sent as `Pushmesh-Sender` (pushmesh nodes; a plain Web Push receiver ignores it). */
  sender?: SenderProofHeader;
}

/**
 * Sends RFC 8030 pushes over HTTPS. The server is accepted when its
 * certificate chains to a trusted CA for the endpoint's host name, or when
 * the key in its certificate is the destination node's own key (node IDs
 * are key hashes, so a self-signed node certificate pins itself). One
 * keep-alive agent per destination, so a pinned connection is never
 * reused for another node.
 */
export class PushClient {
  readonly #agents = new LRUCache<string, Agent>({ max: 256, dispose: (a) => a.destroy() });
  readonly #timeoutMs: number;

  constructor(opts: { timeoutMs?: number } = {}) {
    this.#timeoutMs = opts.timeoutMs ?? 15_000;
  }

  #agent(nodeId: string): Agent {
    let a = this.#agents.get(nodeId);
    if (!a) {
      a = new Agent({ keepAlive: true, maxSockets: 8, rejectUnauthorized: false });
      this.#agents.set(nodeId, a);
    }
    return a;
  }

  /**
   * One POST of a push: resolves with the HTTP status and, for an error,
   * the receiver's JSON error (`{error:{code,message,reason?}}`); rejects
   * when no answer came (network, TLS, wrong node, timeout, abort).
   */
  post(p: PushRequest, signal?: AbortSignal): Promise<PushAnswer> {
    const url = new URL(p.card.endpoint);
    const headers: Record<string, string | number> = {
      'content-type': 'application/octet-stream',
      'content-encoding': 'aes128gcm',
      'content-length': p.body.length,
      ttl: p.ttl,
      urgency: p.urgency,
      authorization: p.authorization,
    };
    if (p.topic) headers['topic'] = p.topic;
    if (p.sender) headers[SENDER_HEADER] = formatSenderHeader(p.sender);
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', headers, agent: this.#agent(p.card.id), timeout: this.#timeoutMs, ...(signal ? { signal } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if ((size += c.length) <= 4096) chunks.push(c);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          resolve(status >= 200 && status < 300 ? { status } : { status, error: errorOf(Buffer.concat(chunks)) });
        });
        res.on('error', reject);
      });
      req.on('socket', (s) => {
        const tls = s as TLSSocket;
        if (verified.has(tls)) return; // a kept-alive socket of this destination's agent, checked when it connected
        tls.once('secureConnect', () => {
          let peer: string | null = null;
          try {
            peer = tls.authorized ? null : peerNodeId(tls);
          } catch (err) {
            // A certificate we cannot read is not the destination's; never let it throw out of an event handler.
            req.destroy(new Error(`endpoint certificate unreadable: ${(err as Error).message}`));
            return;
          }
          if (tls.authorized || peer === p.card.id) verified.add(tls);
          else req.destroy(new Error(`endpoint certificate is not node ${p.card.id.slice(0, 12)}… (${tls.authorizationError ?? 'untrusted'})`));
        });
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end(p.body);
    });
  }

  close(): void {
    this.#agents.clear();
  }
}

const verified = new WeakSet<TLSSocket>();

/** The receiver's JSON error, or its text as the message. */
function errorOf(body: Buffer): PushError {
  try {
    const j = JSON.parse(body.toString('utf8')) as { error?: { code?: unknown; message?: unknown; reason?: unknown } };
    if (j.error && typeof j.error.message === 'string') {
      return {
        message: j.error.message,
        ...(typeof j.error.code === 'string' ? { code: j.error.code } : {}),
        ...(typeof j.error.reason === 'string' ? { reason: j.error.reason } : {}),
      };
    }
  } catch {
    /* not JSON */
  }
  return { message: body.toString('utf8').slice(0, 200) || 'no reason given' };
}
