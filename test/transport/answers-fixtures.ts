/**
 * What the "answers with messages" tests need over real sockets on
 * 127.0.0.1: a listening node whose links the test drives by hand (it
 * decides when each message is answered and when the node sends), raw
 * ADS clients that write and read frames byte for byte, and a fake
 * listener speaking raw frames to a real pushmesh dialer.
 */
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { encodeDiscoveryRequest, encodeDiscoveryResponse, NODE_CARD_TYPE_URL, WEBPUSH_MESSAGE_TYPE_URL } from '../../src/proto/index.js';
import type { Any } from '../../src/proto/types.js';
import { ANSWERS_WITH_MESSAGES_FEATURE, cardAny } from '../../src/transport/ads/ads-frames.js';
import type { MisbehaviorKind } from '../../src/transport/types.js';
import { PeerAuthenticator } from '../../src/transport/auth/peer-authenticator.js';
import { ADS_SERVICE } from '../../src/transport/grpc/ads-service.js';
import { GrpcDialer } from '../../src/transport/grpc/grpc-dialer.js';
import { GrpcListener } from '../../src/transport/grpc/grpc-listener.js';
import { linkLimits, type LinkLimits } from '../../src/transport/link-limits.js';
import type { InboundMessage, Link } from '../../src/transport/types.js';
import { WS_SUBPROTOCOL } from '../../src/transport/ws/subprotocol.js';
import { WsDialer } from '../../src/transport/ws/ws-dialer.js';
import { WsListener } from '../../src/transport/ws/ws-listener.js';
import type { CleanupScope } from '../helpers/temp-dir.js';
import { rawGrpcStream, rawWebSocket } from './listener-node.js';
import { makeTlsNode, type TlsNode } from './tls-nodes.js';

export type Transport = 'grpc' | 'wss';
export const TRANSPORTS: readonly Transport[] = ['grpc', 'wss'];

const logger = pino({ level: 'silent' });

/** A FIFO the test awaits items from, one at a time, in order. */
export class Waitable<T> {
  readonly items: T[] = [];
  #taken = 0;
  #waiters: Array<() => void> = [];

  push(item: T): void {
    this.items.push(item);
    for (const w of this.#waiters.splice(0)) w();
  }

  /** The next item not taken yet (waits for it). */
  async next(): Promise<T> {
    while (this.items.length <= this.#taken) await new Promise<void>((r) => this.#waiters.push(r));
    return this.items[this.#taken++]!;
  }

  get pending(): number {
    return this.items.length - this.#taken;
  }
}

/** Every message a link receives, for the test to answer when it wants. */
export function inboxOf(link: Link): Waitable<InboundMessage> {
  const inbox = new Waitable<InboundMessage>();
  void (async () => {
    for await (const m of link.incoming) inbox.push(m);
  })();
  return inbox;
}

/** A listening node (gRPC and the peer WebSocket) whose links are the test's to drive. */
export interface ScriptedListener {
  node: TlsNode;
  grpcPort: number;
  httpsPort: number;
  links: Waitable<Link>;
  misbehavior: MisbehaviorKind[];
}

export async function scriptedListener(scope: CleanupScope, overrides: Partial<LinkLimits> = {}): Promise<ScriptedListener> {
  const node = await makeTlsNode();
  const links = new Waitable<Link>();
  const misbehavior: MisbehaviorKind[] = [];
  const common = {
    auth: new PeerAuthenticator({ selfId: node.id, tls: node.tls }),
    self: { id: node.id, card: () => node.card, version: 'test' },
    limits: linkLimits(overrides),
    logger,
    onLink: (l: Link) => links.push(l),
    onMisbehavior: (kind: MisbehaviorKind) => misbehavior.push(kind),
  };
  const grpcListener = await GrpcListener.start({ ...common, host: '127.0.0.1', port: 0 });
  const https = createHttpsServer({ key: node.tls.key, cert: node.tls.cert, requestCert: true, rejectUnauthorized: false });
  const wsListener = new WsListener(https, common);
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
  scope.after(async () => {
    await grpcListener.close();
    await wsListener.close();
    await closeHttps(https);
  });
  return { node, grpcPort: grpcListener.address!.port, httpsPort: (https.address() as AddressInfo).port, links, misbehavior };
}

async function closeHttps(https: HttpsServer): Promise<void> {
  https.closeAllConnections();
  await new Promise<void>((r) => https.close(() => r()));
}

/** An ADS client that writes and reads raw frames over a real socket (mutual TLS with `me`'s certificate). */
export interface RawAdsClient {
  write(frame: Uint8Array): void;
  frames: Waitable<Buffer>;
  /** How the server ended the stream: a gRPC status code or a WebSocket close code, and its text. */
  ended: Promise<{ code: number; text: string }>;
  close(): void;
}

export async function rawAdsClient(transport: Transport, listener: ScriptedListener, me: TlsNode, scope: CleanupScope): Promise<RawAdsClient> {
  const frames = new Waitable<Buffer>();
  if (transport === 'grpc') {
    const raw = rawGrpcStream(listener.grpcPort, me.tls);
    raw.call.on('data', (f: Buffer) => frames.push(f));
    scope.after(() => raw.call.cancel());
    return {
      write: (f) => void raw.call.write(Buffer.from(f)),
      frames,
      ended: raw.status.then((s) => ({ code: s.code, text: s.details })),
      close: () => raw.call.cancel(),
    };
  }
  const ws = rawWebSocket(listener.httpsPort, { tls: me.tls });
  ws.on('message', (data, isBinary) => {
    if (isBinary) frames.push(Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]));
  });
  ws.on('error', () => undefined);
  const ended = new Promise<{ code: number; text: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, text: reason.toString('utf8') })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', () => reject(new Error('upgrade refused')));
  });
  scope.after(() => ws.terminate());
  return { write: (f) => ws.send(f, { binary: true }), frames, ended, close: () => ws.close() };
}

/** The opening requests of a client: its Node (with `features`) asking for the card, then the message subscription. */
export function openingFrames(me: TlsNode, features: string[] = [ANSWERS_WITH_MESSAGES_FEATURE]): Buffer[] {
  return [
    encodeDiscoveryRequest({ typeUrl: NODE_CARD_TYPE_URL, node: { id: me.id, userAgentName: 'raw-test', clientFeatures: features } }),
    encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL }),
  ];
}

export const webpush = (value: Uint8Array): Any => ({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value });

/** A pushmesh dialer of `transport` for `me`, with its misbehavior reports. */
export function dialerFor(transport: Transport, me: TlsNode, overrides: Partial<LinkLimits> = {}): { dial(port: number, expectedId: string): Promise<Link>; misbehavior: MisbehaviorKind[] } {
  const misbehavior: MisbehaviorKind[] = [];
  const opts = {
    auth: new PeerAuthenticator({ selfId: me.id, tls: me.tls }),
    self: { id: me.id, card: () => me.card, version: 'test' },
    limits: linkLimits(overrides),
    logger,
    onMisbehavior: (kind: MisbehaviorKind) => misbehavior.push(kind),
  };
  const dialer = transport === 'grpc' ? new GrpcDialer(opts) : new WsDialer(opts);
  return {
    dial: (port, expectedId) => dialer.dial({ transport, host: '127.0.0.1', port, expectedId, url: `${transport}://127.0.0.1:${port}` }),
    misbehavior,
  };
}

/** One ADS stream as a fake listener sees it: the client's frames, and raw writes of responses. */
export interface FakeStream {
  frames: Waitable<Buffer>;
  write(frame: Uint8Array): void;
  /** Resolves when the client ended or cancelled the stream (or closed the socket). */
  gone: Promise<void>;
}

/**
 * A listener that is not pushmesh: it proves `node`'s key in TLS like a
 * node, then hands each ADS stream (gRPC call or WebSocket) to the test,
 * which writes whatever responses it likes.
 */
export async function fakeListener(transport: Transport, node: TlsNode, scope: CleanupScope): Promise<{ port: number; streams: Waitable<FakeStream> }> {
  const streams = new Waitable<FakeStream>();
  if (transport === 'grpc') {
    const server = new grpc.Server({ 'grpc.enable_channelz': 0 });
    server.addService(ADS_SERVICE, {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        const frames = new Waitable<Buffer>();
        call.on('data', (f: Buffer) => frames.push(f));
        call.on('error', () => undefined);
        const gone = new Promise<void>((resolve) => {
          call.on('cancelled', () => resolve());
          call.on('end', () => resolve());
          call.on('close', () => resolve());
        });
        streams.push({ frames, write: (f) => void call.write(Buffer.from(f)), gone });
      },
    });
    const creds = grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(node.tls.key), cert_chain: Buffer.from(node.tls.cert) }], false);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))));
    scope.after(() => server.forceShutdown());
    return { port, streams };
  }
  const https = createHttpsServer({ key: node.tls.key, cert: node.tls.cert, requestCert: true, rejectUnauthorized: false });
  const wss = new WebSocketServer({ server: https, path: '/ws', handleProtocols: (p) => (p.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false) });
  wss.on('connection', (ws: WebSocket) => {
    const frames = new Waitable<Buffer>();
    ws.on('message', (data) => frames.push(Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)])));
    ws.on('error', () => undefined);
    const gone = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    streams.push({ frames, write: (f) => ws.send(f, { binary: true }), gone });
  });
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
  scope.after(async () => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    await closeHttps(https);
  });
  return { port: (https.address() as AddressInfo).port, streams };
}

/** The fake listener's part of the handshake: read the client's two opening requests, send `node`'s card. */
export async function fakeHandshake(stream: FakeStream, node: TlsNode): Promise<Buffer> {
  const first = await stream.frames.next();
  await stream.frames.next(); // the message subscription
  stream.write(encodeDiscoveryResponse({ versionInfo: '1', nonce: '1', typeUrl: NODE_CARD_TYPE_URL, resources: [cardAny(node.card)], controlPlane: { identifier: node.id } }));
  return first;
}
