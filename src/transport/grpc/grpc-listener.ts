import { constants, type X509Certificate } from 'node:crypto';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import grpc, { type ServerDuplexStream } from '@grpc/grpc-js';
import { isPushmeshError, PushmeshError } from '../../errors/index.js';
import type { AdsServerLink } from '../ads/ads-server-link.js';
import { startServerLink } from '../ads/start-server-link.js';
import { refusalReason } from '../auth/peer-proof.js';
import { CLOSE_CODES, closeText } from '../close-codes.js';
import type { ListenerOptions } from '../transport.js';
import type { Listener } from '../types.js';
import { ADS_SERVICE } from './ads-service.js';
import { GrpcServerChannel } from './grpc-channels.js';
import { grpcKeepaliveOptions, widenServerWindows } from './grpc-options.js';

export interface GrpcListenerOptions extends ListenerOptions {
  host: string;
  port: number;
}

/**
 * The gRPC ADS server (`--grpc`, default port 15007), with mutual TLS.
 *
 * TLS is terminated here, by a `node:tls` server that asks every client
 * for its certificate and accepts self-signed ones; each connection is
 * then handed to grpc-js through its public connection-injection API
 * (`Server.createConnectionInjector`). This keeps the certificate a
 * client proved at hand (grpc-js's own auth context is empty for
 * certificates it did not verify), keyed by the client's address, so
 * each ADS call is authenticated and authorized before anything of it is
 * read. A refused call ends at once with UNAUTHENTICATED or
 * PERMISSION_DENIED and the reason.
 */
export class GrpcListener implements Listener {
  readonly transport = 'grpc' as const;
  readonly #opts: GrpcListenerOptions;
  readonly #tls: TlsServer;
  readonly #grpc: grpc.Server;
  readonly #injector: grpc.ConnectionInjector;
  /** Certificates proved by live connections, by "address:port" (grpc-js's getPeer()). */
  readonly #certs = new Map<string, X509Certificate | undefined>();
  readonly #sockets = new Set<TLSSocket>();
  readonly #links = new Set<AdsServerLink>();
  #address: { host: string; port: number } | null = null;

  private constructor(opts: GrpcListenerOptions) {
    this.#opts = opts;
    this.#grpc = new grpc.Server({
      ...grpcKeepaliveOptions(opts.limits),
      'grpc.max_receive_message_length': opts.limits.maxFrameBytes,
      'grpc.max_concurrent_streams': 8,
      'grpc.enable_channelz': 0, // channelz keeps per-session trackers and traces; nothing reads them
    });
    this.#grpc.addService(ADS_SERVICE, { StreamAggregatedResources: (call: ServerDuplexStream<Buffer, Buffer>) => this.#onCall(call) });
    this.#injector = this.#grpc.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    widenServerWindows(this.#grpc, opts.logger);
    this.#tls = createTlsServer({
      key: opts.auth.tls.key,
      cert: opts.auth.tls.cert,
      requestCert: true,
      rejectUnauthorized: false, // self-signed node certificates: identified by key in #onCall
      ALPNProtocols: ['h2'],
      minVersion: 'TLSv1.2',
      noDelay: true, // as grpc-js's client does: a frame goes out when written, not when the previous one is ACKed (Nagle)
      // No TLS session tickets: links are long-lived and pushmesh dialers never resume a session, yet every TLS 1.3
      // connection kept its tickets' state: ≈ 13 KiB per idle peer measured (docs/benchmarks.md, "10,000 linked peers").
      secureOptions: constants.SSL_OP_NO_TICKET,
    });
    this.#tls.on('secureConnection', (socket) => this.#onConnection(socket));
    this.#tls.on('tlsClientError', (err) => opts.logger.debug({ reason: err.message }, 'gRPC TLS handshake failed'));
  }

  static async start(opts: GrpcListenerOptions): Promise<GrpcListener> {
    const listener = new GrpcListener(opts);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const where = `${opts.host}:${opts.port}`;
        const why = err.code === 'EADDRINUSE' ? 'is already in use' : err.code === 'EACCES' ? 'is not allowed' : `cannot be used (${err.message})`;
        reject(new PushmeshError('ERR_LISTEN', `gRPC address ${where} ${why}`, { cause: err }));
      };
      listener.#tls.once('error', onError);
      listener.#tls.listen(opts.port, opts.host, () => {
        listener.#tls.off('error', onError);
        resolve();
      });
    });
    const addr = listener.#tls.address();
    listener.#address = { host: opts.host, port: typeof addr === 'object' && addr ? addr.port : opts.port };
    return listener;
  }

  get address(): { host: string; port: number } | null {
    return this.#address;
  }

  get linkCount(): number {
    return this.#links.size;
  }

  #onConnection(socket: TLSSocket): void {
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    this.#certs.set(key, socket.getPeerX509Certificate());
    this.#sockets.add(socket);
    socket.once('close', () => {
      this.#certs.delete(key);
      this.#sockets.delete(socket);
    });
    socket.on('error', (err) => this.#opts.logger.debug({ reason: err.message }, 'gRPC connection error'));
    this.#injector.injectConnection(socket);
  }

  #onCall(call: ServerDuplexStream<Buffer, Buffer>): void {
    const o = this.#opts;
    const address = call.getPeer();
    let proof;
    try {
      proof = o.auth.certificate(this.#certs.get(address), 'inbound');
    } catch (err) {
      if (!isPushmeshError(err) || err.code !== 'ERR_PEER_REFUSED') throw err;
      const reason = refusalReason(err);
      o.logger.info({ address, reason: err.message }, 'gRPC peer refused');
      o.onRefused?.(reason, err.message);
      call.on('error', () => undefined);
      call.emit('error', { code: CLOSE_CODES[reason].grpc, details: closeText(reason, err.message.slice(reason.length + 2), 1024) });
      return;
    }
    startServerLink(o, this.#links, 'grpc', new GrpcServerChannel(call), { id: proof.id, proof: 'tls', caSigned: proof.caSigned, address });
  }

  /** Stops accepting; then drains (or closes) the links it accepted and ends their connections. */
  async close(options: { drain?: boolean } = {}): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#tls.close(() => resolve()));
    const links = [...this.#links];
    if (options.drain) await Promise.allSettled(links.map((l) => l.drain()));
    else for (const l of links) l.close('shutdown', 'node shutting down');
    await Promise.allSettled(links.map((l) => l.closed));
    this.#injector.destroy();
    this.#grpc.forceShutdown();
    for (const s of this.#sockets) s.destroy();
    await closed;
  }
}
