import type { X509Certificate } from 'node:crypto';
import type { Server } from 'node:http';
import grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { NodeMetrics } from '../../src/metrics/node-metrics.js';
import { buildPushServer } from '../../src/transport/https/push-server.js';
import type { MisbehaviorKind } from '../../src/transport/types.js';
import { AccessPolicy } from '../../src/transport/auth/access-policy.js';
import { PeerAuthenticator } from '../../src/transport/auth/peer-authenticator.js';
import { ADS_METHOD_PATH } from '../../src/transport/grpc/ads-service.js';
import { GrpcDialer } from '../../src/transport/grpc/grpc-dialer.js';
import { GrpcListener } from '../../src/transport/grpc/grpc-listener.js';
import { linkLimits, type LinkLimits } from '../../src/transport/link-limits.js';
import type { Link } from '../../src/transport/types.js';
import { WS_SUBPROTOCOL } from '../../src/transport/ws/subprotocol.js';
import { WsDialer } from '../../src/transport/ws/ws-dialer.js';
import { WsListener } from '../../src/transport/ws/ws-listener.js';
import { tempDir, type CleanupScope } from '../helpers/temp-dir.js';
import { makeTlsNode, type TlsNode } from './tls-nodes.js';

const logger = pino({ level: 'silent' });

/**
 * A listening node in this process: the gRPC listener and the peer
 * WebSocket on a real HTTPS server, with an access policy over a home
 * folder, ACKing every message it receives, and counting what peers did wrong.
 */
export interface ListenerNode {
  node: TlsNode;
  home: string;
  grpcPort: number;
  httpsPort: number;
  links: Link[];
  received: number;
  misbehavior: Map<MisbehaviorKind, number>;
  refusals: string[];
  /** The next link accepted. */
  nextLink(): Promise<Link>;
  close(): Promise<void>;
}

export async function startListenerNode(scope: CleanupScope, overrides: Partial<LinkLimits> = {}, trustCas: X509Certificate[] = []): Promise<ListenerNode> {
  const node = await makeTlsNode();
  const home = await tempDir(scope);
  const limits = linkLimits(overrides);
  const policy = new AccessPolicy(home, logger);
  await policy.start();
  const auth = new PeerAuthenticator({ selfId: node.id, tls: node.tls, policy, trustCas });
  const waiting: Array<(l: Link) => void> = [];
  const state: ListenerNode = {
    node,
    home,
    grpcPort: 0,
    httpsPort: 0,
    links: [],
    received: 0,
    misbehavior: new Map(),
    refusals: [],
    nextLink: () => new Promise((r) => waiting.push(r)),
    close: async () => undefined,
  };
  const onLink = (l: Link): void => {
    state.links.push(l);
    void (async () => {
      for await (const m of l.incoming) {
        state.received++;
        m.ack();
      }
    })();
    waiting.shift()?.(l);
  };
  const common = {
    auth,
    self: { id: node.id, card: () => node.card, version: 'test' },
    limits,
    logger,
    onLink,
    onMisbehavior: (kind: MisbehaviorKind) => state.misbehavior.set(kind, (state.misbehavior.get(kind) ?? 0) + 1),
    onRefused: (_reason: string, detail: string) => state.refusals.push(detail),
  };
  const grpcListener = await GrpcListener.start({ ...common, host: '127.0.0.1', port: 0 });
  const app = buildPushServer({
    logger,
    metrics: new NodeMetrics({ queueDepth: () => 0, subscribers: () => 0 }),
    tls: { key: node.tls.key, cert: node.tls.cert, requestCert: true, rejectUnauthorized: false },
    isLocalNode: (id) => id === node.id,
    accept: async () => {
      throw new Error('not used');
    },
    origins: () => ['https://127.0.0.1'],
    maxTtl: 2_419_200,
  });
  const wsListener = new WsListener(app.server as Server, common);
  await app.listen({ host: '127.0.0.1', port: 0 });
  state.grpcPort = grpcListener.address!.port;
  state.httpsPort = (app.server.address() as { port: number }).port;
  state.close = async () => {
    policy.stop();
    await grpcListener.close();
    await wsListener.close();
    await app.close();
  };
  scope.after(() => state.close());
  return state;
}

/** A well-behaved peer: a real dialer of the transport, with a fresh node key. */
export async function goodPeer(transport: 'grpc' | 'wss', server: ListenerNode, overrides: Partial<LinkLimits> = {}): Promise<{ node: TlsNode; link: Link }> {
  const node = await makeTlsNode();
  const opts = { auth: new PeerAuthenticator({ selfId: node.id, tls: node.tls }), self: { id: node.id, card: () => node.card, version: 'test' }, limits: linkLimits(overrides), logger };
  const dialer = transport === 'grpc' ? new GrpcDialer(opts) : new WsDialer(opts);
  const port = transport === 'grpc' ? server.grpcPort : server.httpsPort;
  const link = await dialer.dial({ transport, host: '127.0.0.1', port, expectedId: server.node.id, url: `${transport}://127.0.0.1:${port}` });
  return { node, link };
}

const identity = (b: Buffer): Buffer => b;

/** A raw ADS gRPC stream, frames as bytes, with any client certificate (or none): for misbehaving on purpose. */
export function rawGrpcStream(port: number, tls: { key: string; cert: string } | null): { call: grpc.ClientDuplexStream<Buffer, Buffer>; status: Promise<grpc.StatusObject>; frames: Buffer[]; client: grpc.Client } {
  const creds = grpc.credentials.createSsl(null, tls ? Buffer.from(tls.key) : null, tls ? Buffer.from(tls.cert) : null, { rejectUnauthorized: false });
  const client = new grpc.Client(`127.0.0.1:${port}`, creds, { 'grpc.use_local_subchannel_pool': 1 });
  const call = client.makeBidiStreamRequest<Buffer, Buffer>(ADS_METHOD_PATH, identity, identity, new grpc.Metadata());
  const frames: Buffer[] = [];
  call.on('data', (f: Buffer) => frames.push(f));
  call.on('error', () => undefined);
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  void status.then(() => client.close());
  return { call, status, frames, client };
}

/** A raw peer WebSocket: subprotocol, certificate and headers as the test wants. */
export function rawWebSocket(
  port: number,
  opts: { tls?: { key: string; cert: string } | null; protocols?: string[]; headers?: Record<string, string>; maxPayload?: number } = {},
): WebSocket {
  return new WebSocket(`wss://127.0.0.1:${port}/ws`, opts.protocols ?? [WS_SUBPROTOCOL], {
    rejectUnauthorized: false,
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
    headers: opts.headers ?? {},
    perMessageDeflate: false,
    ...(opts.maxPayload ? { maxPayload: opts.maxPayload } : {}),
  });
}

export { makeTlsNode };
