/**
 * Misbehaving peers over real mTLS: garbage frames, wrong type URLs,
 * oversize resources and frames, floods. Each is refused with its reason
 * (a per-message NACK while the link can go on, or the stream ended with a
 * status / close code when it cannot), counted, and other peers are not
 * affected.
 */
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import type { WebSocket } from 'ws';
import {
  decodeDiscoveryResponse,
  decodeStatus,
  encodeDiscoveryRequest,
  protoType,
  STATUS_TYPE_URL,
  WEBPUSH_MESSAGE_TYPE_URL,
  type DiscoveryResponse,
} from '../../src/proto/index.js';
import type { Any } from '../../src/proto/types.js';
import { sealedBytes } from './messages.js';
import { goodPeer, makeTlsNode, rawGrpcStream, rawWebSocket, startListenerNode, type ListenerNode } from './listener-node.js';

const T = { timeout: 60_000 };
const SUBSCRIBE = encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, node: { id: 'raw-test', userAgentName: 'raw' } });
const messages = (resources: Any[]): Buffer => encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, pushmeshResources: resources });
const webpush = (value: Uint8Array): Any => ({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value });

/** The reason tokens of a status response for `count` messages ("ok" for accepted; no statuses at all means all accepted). */
function answers(res: DiscoveryResponse, count: number): string[] {
  assert.equal(res.typeUrl, STATUS_TYPE_URL);
  if (res.resources.length === 0) return new Array<string>(count).fill('ok');
  assert.equal(res.resources.length, count);
  return res.resources.map((a) => {
    const s = decodeStatus(a.value);
    return s.code === 0 ? 'ok' : s.message;
  });
}

/** A raw gRPC ADS client (valid node certificate) that waits for responses. */
async function rawClient(server: ListenerNode) {
  const peer = await makeTlsNode();
  const raw = rawGrpcStream(server.grpcPort, peer.tls);
  const waiters: Array<() => void> = [];
  raw.call.on('data', () => waiters.splice(0).forEach((w) => w()));
  const response = async (n: number): Promise<DiscoveryResponse> => {
    while (raw.frames.length < n) await new Promise<void>((r) => waiters.push(r));
    return decodeDiscoveryResponse(raw.frames[n - 1]!);
  };
  raw.call.write(SUBSCRIBE);
  return { peer, ...raw, response };
}

async function stillServes(server: ListenerNode, transport: 'grpc' | 'wss' = 'grpc'): Promise<void> {
  const { node, link } = await goodPeer(transport, server);
  assert.deepEqual(await link.send(await sealedBytes(node, server.node)), { ok: true });
  link.close();
}

describe('misbehaving peers on the gRPC ADS stream', () => {
  it('a frame that is not a DiscoveryRequest ends the stream with INVALID_ARGUMENT and is counted', T, async (t) => {
    const server = await startListenerNode(t);
    const c = await rawClient(server);
    c.call.write(Buffer.from('\xff\xff\xff\x0fnot protobuf at all', 'latin1'));
    const s = await c.status;
    assert.equal(s.code, 3);
    assert.match(s.details, /^protocol_error: /);
    assert.equal(server.misbehavior.get('garbage_frame'), 1);
    await stillServes(server);
  });

  it('oversize resources and wrong type URLs are refused one by one; the link goes on', T, async (t) => {
    const server = await startListenerNode(t);
    const c = await rawClient(server);
    const good = await sealedBytes(c.peer, server.node);
    const wire = protoType('pushmesh.v1.WebpushMessage');
    // Valid in every field but the body: 5000 bytes, over RFC 8291's 4096 (encoded without pushmesh's checks).
    const decoded = wire.toObject(wire.decode(good));
    const bigBody = Buffer.from(wire.encode({ ...decoded, body: Buffer.alloc(5000, 7) }).finish());
    c.call.write(
      messages([
        webpush(good),
        webpush(bigBody),
        webpush(Buffer.alloc(20 * 1024, 1)), // over the 16 KiB resource limit
        { typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', value: good },
        webpush(Buffer.from('garbage')),
      ]),
    );
    assert.deepEqual(answers(await c.response(1), 5), ['ok', 'too_large', 'too_large', 'bad_message', 'bad_message']);
    c.call.write(messages([webpush(await sealedBytes(c.peer, server.node))]));
    const second = await c.response(2);
    assert.equal(second.resources.length, 0, 'all accepted: the compact answer');
    assert.deepEqual(answers(second, 1), ['ok'], 'the link is still up');
    assert.equal(server.misbehavior.get('too_large'), 2);
    assert.equal(server.misbehavior.get('wrong_type_url'), 1);
    assert.equal(server.misbehavior.get('bad_resource'), 1);
    assert.equal(server.received, 2);
    c.call.cancel();
  });

  it('a subscription to a type pushmesh does not serve ends the stream with INVALID_ARGUMENT', T, async (t) => {
    const server = await startListenerNode(t);
    const c = await rawClient(server);
    c.call.write(encodeDiscoveryRequest({ typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster' }));
    const s = await c.status;
    assert.equal(s.code, 3);
    assert.match(s.details, /^protocol_error: unsupported type_url/);
    await stillServes(server);
  });

  it('a frame over the size limit ends the stream with RESOURCE_EXHAUSTED', T, async (t) => {
    const server = await startListenerNode(t, { maxFrameBytes: 64 * 1024 });
    const c = await rawClient(server);
    c.call.write(messages([webpush(Buffer.alloc(100 * 1024, 1))]));
    const s = await c.status;
    assert.equal(s.code, 8);
    await stillServes(server);
  });

  it('over the window: refused with queue_full one by one; a flood: cut off with RESOURCE_EXHAUSTED and counted', T, async (t) => {
    const server = await startListenerNode(t, { window: 4, floodPerSecond: 30 });
    const c = await rawClient(server);
    const batch = await Promise.all(Array.from({ length: 8 }, () => sealedBytes(c.peer, server.node)));
    c.call.write(messages(batch.map(webpush)));
    const first = answers(await c.response(1), 8);
    assert.deepEqual(first, ['ok', 'ok', 'ok', 'ok', 'queue_full', 'queue_full', 'queue_full', 'queue_full']);

    const flood = await Promise.all(Array.from({ length: 40 }, () => sealedBytes(c.peer, server.node)));
    c.call.write(messages(flood.map(webpush)));
    const s = await c.status;
    assert.equal(s.code, 8);
    assert.match(s.details, /^flood: /);
    assert.equal(server.misbehavior.get('flood'), 1);
    await stillServes(server);
  });
});

describe('misbehaving peers on the WebSocket', () => {
  async function open(server: ListenerNode): Promise<WebSocket> {
    const peer = await makeTlsNode();
    const ws = rawWebSocket(server.httpsPort, { tls: peer.tls });
    ws.on('error', () => undefined);
    await once(ws, 'open');
    ws.send(SUBSCRIBE);
    return ws;
  }
  const closeOf = async (ws: WebSocket): Promise<{ code: number; reason: string }> => {
    const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
    return { code, reason: reason.toString() };
  };

  it('a text frame: closed 1002 with the reason', T, async (t) => {
    const server = await startListenerNode(t);
    const ws = await open(server);
    ws.send('hello');
    const c = await closeOf(ws);
    assert.equal(c.code, 1002);
    assert.match(c.reason, /^protocol_error: text frame/);
    assert.equal(server.misbehavior.get('garbage_frame'), 1);
    await stillServes(server, 'wss');
  });

  it('a binary frame that is not a DiscoveryRequest: closed 1002', T, async (t) => {
    const server = await startListenerNode(t);
    const ws = await open(server);
    ws.send(Buffer.from('\xff\xff\xff\x0fnope', 'latin1'));
    const c = await closeOf(ws);
    assert.equal(c.code, 1002);
    assert.match(c.reason, /^protocol_error: /);
    await stillServes(server, 'wss');
  });

  it('a frame over the size limit: closed 1009', T, async (t) => {
    const server = await startListenerNode(t, { maxFrameBytes: 64 * 1024 });
    const ws = await open(server);
    ws.send(Buffer.alloc(100 * 1024, 1));
    const c = await closeOf(ws);
    assert.equal(c.code, 1009);
    await stillServes(server, 'wss');
  });

  it('a flood: closed 4429 "flood"', T, async (t) => {
    const server = await startListenerNode(t, { window: 4, floodPerSecond: 30 });
    const peer = await makeTlsNode();
    const ws = rawWebSocket(server.httpsPort, { tls: peer.tls });
    ws.on('error', () => undefined);
    await once(ws, 'open');
    ws.send(SUBSCRIBE);
    const flood = await Promise.all(Array.from({ length: 60 }, () => sealedBytes(peer, server.node)));
    ws.send(messages(flood.map(webpush)));
    const c = await closeOf(ws);
    assert.equal(c.code, 4429);
    assert.match(c.reason, /^flood: /);
    await stillServes(server, 'wss');
  });
});
