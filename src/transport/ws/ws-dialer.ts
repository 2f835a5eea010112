import type { ClientRequest, IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WebSocket } from 'ws';
import { isPushmeshError, PushmeshError } from '../../errors/index.js';
import { awaitHandshake } from '../ads/await-handshake.js';
import { AdsClientLink } from '../ads/ads-client-link.js';
import type { CertificateProof } from '../auth/peer-proof.js';
import { encodeProof, parseChallenge, signProof, tlsExporter } from '../auth/ws-challenge.js';
import type { TransportOptions } from '../transport.js';
import type { Dialer, Link, PeerTarget } from '../types.js';
import { WsChannel } from './ws-channel.js';
import { PEER_WS_PATH, WS_SUBPROTOCOL } from './subprotocol.js';

export interface WsDialerOptions extends TransportOptions {
  /**
   * How this node proves itself to the listener: its TLS client
   * certificate (`certificate`, the default), or no client certificate
   * and a signed answer to the listener's challenge, bound to the TLS
   * exporter (`challenge`; signed with the key of `auth.tls.key`).
   */
  clientAuth?: 'certificate' | 'challenge';
}

/** `wss://HOST:PORT/ws` for a target (IPv6 literals in brackets). */
export function wsUrl(host: string, port: number): string {
  return `wss://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}${PEER_WS_PATH}`;
}

/**
 * Dials `wss://[ID@]HOST:PORT/ws` with mutual TLS, or (`clientAuth:
 * 'challenge'`) with server-only TLS and the per-connection challenge
 * (src/transport/auth/ws-challenge.ts, binding `tls-exporter`). Either
 * way the server's key is checked once TLS is up and before the upgrade
 * request is even sent (ws's `finishRequest` hook); a refusal (HTTP
 * 401/403, or close 4401/4403 after a proof) comes back as
 * ERR_PEER_REFUSED with the server's reason.
 */
export class WsDialer implements Dialer {
  readonly transport = 'wss' as const;
  readonly #opts: WsDialerOptions;

  constructor(opts: WsDialerOptions) {
    this.#opts = opts;
  }

  async dial(target: PeerTarget, options: { signal?: AbortSignal } = {}): Promise<Link> {
    const o = this.#opts;
    const { ws, proof } = await this.#connect(target, options.signal);
    const link = new AdsClientLink({
      transport: 'wss',
      channel: new WsChannel(ws, o.limits),
      self: { id: o.self.id, card: o.self.card(), version: o.self.version },
      peer: { id: proof.id, proof: 'tls', caSigned: proof.caSigned, address: `${target.host}:${target.port}` },
      limits: o.limits,
      logger: o.logger,
      ...(o.onMisbehavior ? { onMisbehavior: o.onMisbehavior } : {}),
    });
    link.start();
    return awaitHandshake(link, target, options.signal);
  }

  #connect(target: PeerTarget, signal: AbortSignal | undefined): Promise<{ ws: WebSocket; proof: CertificateProof }> {
    const o = this.#opts;
    return new Promise((resolve, reject) => {
      let proof: CertificateProof | null = null;
      let tlsSocket: TLSSocket | null = null;
      let failure: Error | null = null;
      const byChallenge = o.clientAuth === 'challenge';
      const ws = new WebSocket(wsUrl(target.host, target.port), [WS_SUBPROTOCOL], {
        ...(byChallenge ? {} : { key: o.auth.tls.key, cert: o.auth.tls.cert }),
        rejectUnauthorized: false, // self-signed node certificates: checked below by the key they prove
        minVersion: 'TLSv1.2',
        ...(isIP(target.host) === 0 ? { servername: target.host } : {}),
        maxPayload: o.limits.maxFrameBytes,
        perMessageDeflate: false,
        handshakeTimeout: o.limits.handshakeTimeoutMs,
        finishRequest: (req: ClientRequest) => {
          req.on('socket', (socket) => {
            (socket as TLSSocket).once('secureConnect', () => {
              try {
                proof = o.auth.certificate((socket as TLSSocket).getPeerX509Certificate(), 'outbound', target.expectedId);
                tlsSocket = socket as TLSSocket;
                req.end();
              } catch (err) {
                failure = err as Error;
                req.destroy(failure);
              }
            });
          });
        },
      } as ConstructorParameters<typeof WebSocket>[2]);
      const onAbort = (): void => {
        failure = signal!.reason as Error;
        ws.terminate();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      let challengeTimer: NodeJS.Timeout | null = null;
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        if (challengeTimer) clearTimeout(challengeTimer);
        ws.off('open', onOpen);
        ws.off('error', onError);
        ws.off('unexpected-response', onRefusal);
        ws.off('message', onChallenge);
        ws.off('close', onClose);
      };
      const ready = (): void => {
        done();
        ws.on('error', () => undefined); // the channel reports errors from now on
        resolve({ ws, proof: proof! });
      };
      const onOpen = (): void => {
        if (!proof || !tlsSocket) {
          done();
          ws.terminate();
          reject(new PushmeshError('ERR_PEER_REFUSED', `${target.url}: server identity not checked`));
          return;
        }
        if (!byChallenge) return ready();
        // Wait for the listener's challenge (the first frame), answer it, then the link may start.
        ws.off('error', onError);
        ws.on('error', () => undefined); // 'close' follows and says why
        ws.on('message', onChallenge);
        ws.on('close', onClose);
        challengeTimer = setTimeout(() => fail(new PushmeshError('ERR_UNAVAILABLE', `${target.url}: no challenge within ${o.limits.handshakeTimeoutMs} ms`)), o.limits.handshakeTimeoutMs);
      };
      const fail = (err: Error): void => {
        done();
        ws.terminate();
        reject(err);
      };
      const onChallenge = (data: unknown, isBinary: boolean): void => {
        try {
          const challenge = parseChallenge(data, isBinary);
          if (challenge.listener !== proof!.id) {
            return fail(new PushmeshError('ERR_PEER_REFUSED', `${target.url}: forbidden: the challenge names node ${challenge.listener.slice(0, 12)}…, not the server's ${proof!.id.slice(0, 12)}…`));
          }
          ws.send(encodeProof(signProof(challenge, o.auth.tls.key, 'tls-exporter', tlsExporter(tlsSocket!))));
        } catch (err) {
          return fail(new PushmeshError('ERR_PEER_REFUSED', `${target.url}: bad challenge: ${(err as Error).message}`, { cause: err }));
        }
        ready(); // the server's answer to the proof is the link's handshake, or its close code
      };
      const onClose = (code: number, reason: Buffer): void => {
        const text = reason.toString('utf8') || `closed with code ${code}`;
        if (failure) return fail(failure); // aborted
        fail(new PushmeshError(code === 4401 || code === 4403 ? 'ERR_PEER_REFUSED' : 'ERR_UNAVAILABLE', `${target.url}: ${text}`));
      };
      const onError = (err: Error): void => {
        done();
        const cause = failure ?? err;
        if (isPushmeshError(cause)) reject(cause);
        else reject(new PushmeshError('ERR_UNAVAILABLE', `${target.url}: cannot connect: ${cause.message}`, { cause }));
      };
      const onRefusal = (_req: ClientRequest, res: IncomingMessage): void => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.length < 16 && chunks.push(c));
        res.on('end', () => {
          done();
          ws.on('error', () => undefined); // terminate() while connecting emits 'error' ("closed before the connection was established"): already answered here
          ws.terminate();
          const status = res.statusCode ?? 0;
          const message = errorMessage(Buffer.concat(chunks)) ?? `HTTP ${status}`;
          reject(new PushmeshError(status === 401 || status === 403 ? 'ERR_PEER_REFUSED' : 'ERR_UNAVAILABLE', `${target.url}: ${message}`));
        });
      };
      ws.once('open', onOpen);
      ws.once('error', onError);
      ws.once('unexpected-response', onRefusal);
    });
  }

  close(): void {
    // Nothing shared between links.
  }
}

function errorMessage(body: Buffer): string | undefined {
  try {
    const j = JSON.parse(body.toString('utf8')) as { error?: { message?: unknown } };
    return typeof j.error?.message === 'string' ? j.error.message.slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}
