import { isIP } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import grpc, { type ChannelOptions, type experimental } from '@grpc/grpc-js';
import type { CallCredentials } from '@grpc/grpc-js';
import type { NodeId } from '../../identity/types.js';
import type { NodeTls } from '../auth/peer-authenticator.js';
import type { CertificateProof } from '../auth/peer-proof.js';

/** Checks the certificate a server presented; throws to refuse the connection. */
export type ServerCertificateCheck = (cert: import('node:crypto').X509Certificate | undefined, expectedId: NodeId | undefined) => CertificateProof;

/**
 * grpc-js channel credentials for mutual TLS between pushmesh nodes.
 *
 * grpc-js's own `createSsl` cannot accept a self-signed server
 * certificate and still check it: with `rejectUnauthorized: false` the
 * `checkServerIdentity` callback is skipped (Node only calls it when the
 * chain verified), and the call's auth context stays empty for an
 * unverified peer. So this class supplies grpc-js's documented
 * `_createSecureConnector` hook with its own TLS connect: present this
 * node's certificate, accept any certificate chain, then identify the
 * server by the key it proved (node ID) and refuse the connection unless
 * the check passes. The first server identified is pinned: later
 * reconnections of the same channel must prove the same node ID.
 */
export class PinnedChannelCredentials extends grpc.ChannelCredentials {
  readonly #tls: NodeTls;
  readonly #host: string;
  readonly #check: ServerCertificateCheck;
  #expectedId: NodeId | undefined;
  /** What the last connection proved, and the last refusal. */
  readonly events = new EventEmitter<{ verified: [CertificateProof]; refused: [Error] }>();
  proof: CertificateProof | null = null;

  constructor(tls: NodeTls, host: string, expectedId: NodeId | undefined, check: ServerCertificateCheck) {
    super();
    this.#tls = tls;
    this.#host = host;
    this.#expectedId = expectedId;
    this.#check = check;
  }

  override _isSecure(): boolean {
    return true;
  }

  override _equals(other: grpc.ChannelCredentials): boolean {
    return other === this;
  }

  override _createSecureConnector(_target: experimental.GrpcUri, _options: ChannelOptions, callCredentials?: CallCredentials): experimental.SecureConnector {
    return {
      connect: (socket: Socket) => this.#connect(socket),
      waitForReady: () => Promise.resolve(),
      getCallCredentials: () => callCredentials ?? grpc.CallCredentials.createEmpty(),
      destroy: () => undefined,
    };
  }

  #connect(socket: Socket): Promise<{ socket: TLSSocket; secure: boolean }> {
    return new Promise((resolve, reject) => {
      const tlsSocket = tlsConnect({
        socket,
        key: this.#tls.key,
        cert: this.#tls.cert,
        ALPNProtocols: ['h2'],
        minVersion: 'TLSv1.2',
        rejectUnauthorized: false, // self-signed node certificates: checked below by the key they prove
        ...(isIP(this.#host) === 0 ? { servername: this.#host } : {}),
      });
      const onError = (err: Error): void => reject(err);
      tlsSocket.once('error', onError);
      tlsSocket.once('secureConnect', () => {
        tlsSocket.off('error', onError);
        try {
          const proof = this.#check(tlsSocket.getPeerX509Certificate(), this.#expectedId);
          this.#expectedId = proof.id;
          this.proof = proof;
          this.events.emit('verified', proof);
          resolve({ socket: tlsSocket, secure: true });
        } catch (err) {
          tlsSocket.destroy();
          this.events.emit('refused', err as Error);
          reject(err as Error);
        }
      });
    });
  }
}
