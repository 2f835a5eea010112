import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { WebSocketServer, type WebSocket } from 'ws';
import { isPushmeshError } from '../../errors/index.js';
import type { AdsServerLink } from '../ads/ads-server-link.js';
import { startServerLink } from '../ads/start-server-link.js';
import { refusalReason } from '../auth/peer-proof.js';
import { ChallengeRefusal } from '../../errors/challenge-refusal.js';
import { acceptProof, encodeChallenge, newChallenge, tlsExporter } from '../auth/ws-challenge.js';
import { CLOSE_CODES, closeText } from '../close-codes.js';
import type { ListenerOptions } from '../transport.js';
import type { Listener, LinkCloseReason, PeerIdentity } from '../types.js';
import { WsChannel } from './ws-channel.js';
import { PEER_WS_PATH, WS_SUBPROTOCOL } from './subprotocol.js';

export type WsListenerOptions = ListenerOptions;

/** Time a refused socket's close handshake may take before it is cut. */
const CLOSE_GRACE_MS = 5_000;

/**
 * The WebSocket peer transport on the HTTPS server: `GET /ws` with the
 * subprotocol `pushmesh.ads.v2`. A peer that presented a TLS client
 * certificate is authenticated (and authorized) by it before the upgrade
 * completes; a refusal is HTTP 401/403 with a JSON error, never a
 * WebSocket. A peer without one gets the upgrade, then one text frame,
 * the challenge (src/transport/auth/ws-challenge.ts), and must answer
 * with one text frame, its proof, within the handshake timeout; until
 * then nothing else is sent to it, and anything but a good proof from an
 * allowed node closes the socket (1002, 4401, 4403 or 4408). Only then
 * does the ADS link start. Tokens (VAPID) admit nothing here.
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
    const tls = req.socket as TLSSocket;
    const address = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const cert = typeof tls.getPeerX509Certificate === 'function' ? tls.getPeerX509Certificate() : undefined;
    if (!cert) {
      if (socket.destroyed) return;
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#challenge(ws, tls, address));
      return;
    }
    let peer: PeerIdentity;
    try {
      const proof = o.auth.certificate(cert, 'inbound');
      peer = { id: proof.id, proof: 'tls', caSigned: proof.caSigned, address };
    } catch (err) {
      if (!isPushmeshError(err) || err.code !== 'ERR_PEER_REFUSED') throw err;
      const reason = refusalReason(err);
      o.logger.info({ address, reason: err.message }, 'WebSocket peer refused');
      o.onRefused?.(reason, err.message);
      return reply(socket, reason === 'unauthenticated' ? 401 : 403, 'ERR_PEER_REFUSED', err.message);
    }
    if (socket.destroyed) return;
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#serve(ws, peer));
  }

  /**
   * A peer without a client certificate: one challenge out, one proof in
   * (within the handshake timeout), checked against this connection's
   * nonce, this node's ID and the TLS exporter, then the access lists.
   * The proof is handled synchronously in its 'message' event, so a frame
   * right behind it already reaches the link's channel.
   */
  #challenge(ws: WebSocket, tls: TLSSocket, address: string): void {
    const o = this.#opts;
    const challenge = newChallenge(o.self.id);
    let exporter: Buffer | null;
    try {
      exporter = tlsExporter(tls);
    } catch {
      exporter = null; // not a TLS socket that can export: only `none` proofs can pass
    }
    let settled = false;
    const cleanup = (): void => {
      settled = true;
      clearTimeout(timer);
      ws.off('message', onMessage);
      ws.off('close', cleanup);
    };
    const refuse = (reason: LinkCloseReason, detail: string): void => {
      cleanup();
      o.logger.info({ address, reason: detail }, 'WebSocket peer refused');
      o.onRefused?.(reason === 'forbidden' ? 'forbidden' : 'unauthenticated', detail);
      ws.close(CLOSE_CODES[reason].ws, closeText(reason, detail.replace(/^[a-z_]+: /, '')));
      const cut = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
      cut.unref();
      ws.once('close', () => clearTimeout(cut));
    };
    const onMessage = (data: unknown, isBinary: boolean): void => {
      if (settled) return;
      let peer: PeerIdentity;
      try {
        const id = acceptProof(data, isBinary, challenge, exporter);
        o.auth.permit({ id, caSigned: false }, 'inbound');
        peer = { id, proof: 'challenge', caSigned: false, address };
      } catch (err) {
        if (err instanceof ChallengeRefusal) return refuse(err.reason, err.message);
        if (isPushmeshError(err) && err.code === 'ERR_PEER_REFUSED') return refuse(refusalReason(err), err.message);
        o.logger.error({ err, address }, 'WebSocket challenge failed');
        return refuse('unauthenticated', 'proof refused');
      }
      cleanup();
      if (this.#closing) {
        ws.close(CLOSE_CODES.shutdown.ws, closeText('shutdown', 'node shutting down'));
        return;
      }
      this.#serve(ws, peer);
    };
    const timer = setTimeout(() => {
      if (!settled) refuse('handshake_timeout', `no proof within ${o.limits.handshakeTimeoutMs} ms`);
    }, o.limits.handshakeTimeoutMs);
    timer.unref();
    ws.on('error', () => undefined); // a socket error ends in 'close'; the channel reports errors once the link runs
    ws.on('message', onMessage);
    ws.on('close', cleanup);
    ws.send(encodeChallenge(challenge));
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
function reply(socket: Duplex, status: number, code: string, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code, message } });
  const text = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable' }[status] ?? 'Error';
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
