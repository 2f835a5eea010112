import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { isPushmeshError, VapidError } from '../../errors/index.js';
import { nodeIdFromPublicKey } from '../../identity/node-id.js';
import { linkAudience } from '../../message/link-audience.js';
import type { VapidVerifier } from '../../webpush/index.js';
import type { AdsServerLink } from '../ads/ads-server-link.js';
import { startServerLink } from '../ads/start-server-link.js';
import { refusalReason, refused, type CertificateProof } from '../auth/peer-proof.js';
import type { AdsListenerOptions } from '../listener-options.js';
import type { Listener, PeerIdentity } from '../types.js';
import { WsChannel } from './ws-channel.js';
import { PEER_WS_PATH, WS_SUBPROTOCOL } from './subprotocol.js';

export interface WsListenerOptions extends AdsListenerOptions {
  /** Verifies a VAPID Authorization header (peers without a client certificate). */
  verifier: Pick<VapidVerifier, 'verify'>;
  /** Origins a VAPID token may name as `aud`, besides `https://` + Host and `pushmesh://<this node>`. */
  audiences: () => string[];
}

/**
 * The WebSocket peer transport on the HTTPS server: `GET /ws` with the
 * subprotocol `pushmesh.ads.v1`. The peer is authenticated before the
 * upgrade completes — by its TLS client certificate, or else by a VAPID
 * `Authorization` header signed by its node key — and authorized by the
 * access policy; otherwise the request is answered 400/401/403 with a
 * JSON error and never becomes a WebSocket.
 */
export class WsListener implements Listener {
  readonly transport = 'wss' as const;
  readonly address = null;
  readonly #opts: WsListenerOptions;
  readonly #wss: WebSocketServer;
  readonly #links = new Set<AdsServerLink>();
  readonly #server: Server;
  readonly #onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  #closing = false;

  constructor(server: Server, opts: WsListenerOptions) {
    this.#opts = opts;
    this.#server = server;
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: opts.limits.maxFrameBytes,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
    });
    this.#onUpgrade = (req, socket, head) => {
      socket.on('error', () => undefined);
      this.#upgrade(req, socket, head).catch((err: unknown) => {
        opts.logger.error({ err }, 'WebSocket upgrade failed');
        reply(socket, 500, 'ERR_INTERNAL', 'internal error');
      });
    };
    server.on('upgrade', this.#onUpgrade);
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const o = this.#opts;
    const path = new URL(req.url ?? '/', 'https://peer.invalid').pathname;
    if (path !== PEER_WS_PATH) return reply(socket, 404, 'ERR_NOT_FOUND', `no WebSocket at ${path.slice(0, 100)}`);
    if (this.#closing) return reply(socket, 503, 'ERR_UNAVAILABLE', 'node shutting down');
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.includes(WS_SUBPROTOCOL)) {
      return reply(socket, 400, 'ERR_BAD_REQUEST', `the WebSocket subprotocol must be ${WS_SUBPROTOCOL}`);
    }
    let peer: PeerIdentity;
    try {
      peer = await this.#authenticate(req);
    } catch (err) {
      if (!isPushmeshError(err) || err.code !== 'ERR_PEER_REFUSED') throw err;
      const reason = refusalReason(err);
      o.logger.info({ address: req.socket.remoteAddress, reason: err.message }, 'WebSocket peer refused');
      o.onRefused?.(reason, err.message);
      return reply(socket, reason === 'unauthenticated' ? 401 : 403, 'ERR_PEER_REFUSED', err.message, reason === 'unauthenticated');
    }
    if (socket.destroyed) return;
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#serve(ws, peer));
  }

  /** The TLS client certificate if one was presented, else a VAPID token for this node. */
  async #authenticate(req: IncomingMessage): Promise<PeerIdentity> {
    const o = this.#opts;
    const tls = req.socket as TLSSocket;
    const address = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const cert = typeof tls.getPeerX509Certificate === 'function' ? tls.getPeerX509Certificate() : undefined;
    if (cert) {
      const proof = o.auth.certificate(cert, 'inbound');
      return { id: proof.id, proof: 'tls', caSigned: proof.caSigned, address };
    }
    const authorization = req.headers.authorization;
    if (!authorization) throw refused('unauthenticated', 'no client certificate and no VAPID Authorization header');
    const host = req.headers.host;
    const audiences = [linkAudience(o.self.id), ...o.audiences(), ...(host ? [`https://${host}`] : [])];
    let proof: CertificateProof;
    try {
      const vapid = await o.verifier.verify(authorization, audiences);
      proof = { id: nodeIdFromPublicKey(vapid.publicKey), caSigned: false };
    } catch (err) {
      if (err instanceof VapidError) throw refused(err.code === 'ERR_VAPID_MISSING' ? 'unauthenticated' : 'forbidden', err.message, err);
      throw refused('forbidden', 'VAPID authorization invalid', err);
    }
    o.auth.permit(proof, 'inbound');
    return { id: proof.id, proof: 'vapid', caSigned: false, address };
  }

  #serve(ws: WebSocket, peer: PeerIdentity): void {
    const o = this.#opts;
    startServerLink(o, this.#links, 'wss', new WsChannel(ws, o.limits), peer);
  }

  get linkCount(): number {
    return this.#links.size;
  }

  /** Stops taking upgrades; drains (or closes) the links it accepted. The HTTPS server itself is its owner's to close. */
  async close(options: { drain?: boolean } = {}): Promise<void> {
    this.#closing = true;
    this.#server.off('upgrade', this.#onUpgrade);
    const links = [...this.#links];
    if (options.drain) await Promise.allSettled(links.map((l) => l.drain()));
    else for (const l of links) l.close('shutdown', 'node shutting down');
    await Promise.allSettled(links.map((l) => l.closed));
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
  }
}

/** Answers an upgrade request with an HTTP error (JSON body) and closes the socket: the upgrade never happens. */
function reply(socket: Duplex, status: number, code: string, message: string, vapidChallenge = false): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code, message } });
  const text = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable' }[status] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      (vapidChallenge ? 'WWW-Authenticate: vapid\r\n' : '') +
      `\r\n${body}`,
  );
}
