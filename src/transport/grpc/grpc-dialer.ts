import grpc from '@grpc/grpc-js';
import { PushmeshError } from '../../errors/index.js';
import { awaitHandshake } from '../ads/await-handshake.js';
import { AdsClientLink } from '../ads/ads-client-link.js';
import type { CertificateProof } from '../auth/peer-proof.js';
import type { TransportOptions } from '../transport.js';
import type { Dialer, Link, PeerTarget } from '../types.js';
import { ADS_METHOD_PATH } from './ads-service.js';
import { GrpcClientChannel } from './grpc-channels.js';
import { grpcKeepaliveOptions, grpcWindowOptions } from './grpc-options.js';
import { PinnedChannelCredentials } from './pinned-credentials.js';

export type GrpcDialerOptions = TransportOptions;

const identity = (b: Buffer): Buffer => b;

/** grpc-js target for a host and port (IPv6 literals in brackets). */
export function grpcTarget(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Dials `grpcs://[ID@]HOST:PORT`: one grpc-js channel per link, mutual
 * TLS with this node's certificate (see PinnedChannelCredentials), then
 * one ADS stream; resolves when the handshake is done (the server's card
 * received).
 */
export class GrpcDialer implements Dialer {
  readonly transport = 'grpc' as const;
  readonly #opts: GrpcDialerOptions;

  constructor(opts: GrpcDialerOptions) {
    this.#opts = opts;
  }

  async dial(target: PeerTarget, options: { signal?: AbortSignal } = {}): Promise<Link> {
    const o = this.#opts;
    const creds = new PinnedChannelCredentials(o.auth.tls, target.host, target.expectedId, (cert, expectedId) =>
      o.auth.certificate(cert, 'outbound', expectedId),
    );
    const client = new grpc.Client(grpcTarget(target.host, target.port), creds, {
      ...grpcKeepaliveOptions(o.limits),
      ...grpcWindowOptions(),
      'grpc.max_receive_message_length': o.limits.maxFrameBytes,
      'grpc.use_local_subchannel_pool': 1,
      'grpc.enable_retries': 0,
      'grpc.enable_channelz': 0, // channelz keeps per-channel trackers and traces; nothing reads them
    });
    try {
      const proof = await connected(client, creds, o.limits.handshakeTimeoutMs, options.signal);
      const call = client.makeBidiStreamRequest<Buffer, Buffer>(ADS_METHOD_PATH, identity, identity, new grpc.Metadata());
      const channel = new GrpcClientChannel(call);
      const link = new AdsClientLink({
        transport: 'grpc',
        channel,
        self: { id: o.self.id, card: o.self.card(), version: o.self.version },
        peer: { id: proof.id, proof: 'tls', caSigned: proof.caSigned, address: grpcTarget(target.host, target.port) },
        limits: o.limits,
        logger: o.logger,
        ...(o.onMisbehavior ? { onMisbehavior: o.onMisbehavior } : {}),
      });
      void link.closed.then(async () => {
        // Let the server's final status arrive (a half-close is answered with OK), then free the channel.
        const timer = setTimeout(() => client.close(), 5_000);
        timer.unref();
        await channel.status;
        clearTimeout(timer);
        client.close();
      });
      link.start();
      return await awaitHandshake(link, target, options.signal);
    } catch (err) {
      client.close();
      throw err;
    }
  }

  close(): void {
    // Each link owns its channel; nothing shared to release.
  }
}

/** Waits for the channel to connect and the server to prove its key; rejects with why not. */
function connected(client: grpc.Client, creds: PinnedChannelCredentials, timeoutMs: number, signal: AbortSignal | undefined): Promise<CertificateProof> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      creds.events.off('refused', onRefused);
      signal?.removeEventListener('abort', onAbort);
    };
    const onRefused = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onAbort = (): void => {
      cleanup();
      reject(signal!.reason);
    };
    creds.events.once('refused', onRefused);
    signal?.addEventListener('abort', onAbort, { once: true });
    client.waitForReady(Date.now() + timeoutMs, (err) => {
      cleanup();
      if (err || !creds.proof) {
        reject(new PushmeshError('ERR_UNAVAILABLE', `cannot connect: ${err?.message ?? 'no TLS session'}`, { cause: err }));
        return;
      }
      resolve(creds.proof);
    });
  });
}
