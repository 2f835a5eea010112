/**
 * Authentication and authorization of peers, over real TLS: every refusal
 * comes with its reason (gRPC status, HTTP status before a WebSocket
 * upgrade, or a close code after the WebSocket challenge), and the node
 * keeps serving other peers.
 */
import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createSelfSignedCertificate } from '../../src/identity/certificate.js';
import { linkAudience } from '../../src/message/link-audience.js';
import { DENY_FILE, ALLOW_FILE } from '../../src/transport/auth/access-policy.js';
import { PeerAuthenticator } from '../../src/transport/auth/peer-authenticator.js';
import { GrpcDialer } from '../../src/transport/grpc/grpc-dialer.js';
import { linkLimits } from '../../src/transport/link-limits.js';
import { WsDialer } from '../../src/transport/ws/ws-dialer.js';
import { pino } from 'pino';
import { isPushmeshError } from '../../src/errors/index.js';
import { encodeDiscoveryRequest, WEBPUSH_MESSAGE_TYPE_URL } from '../../src/proto/index.js';
import { sealedBytes } from './messages.js';
import { testCa, p384Certificate } from './certs.js';
import { goodPeer, makeTlsNode, rawGrpcStream, rawWebSocket, startListenerNode, type ListenerNode } from './listener-node.js';
import { openRawPeer } from './ws-raw-peer.js';

const logger = pino({ level: 'silent' });
/** A bare subscription, as the first request of a client that sends no card. */
const SUBSCRIBE = encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL });
const T = { timeout: 60_000 };

/** A good peer can still link and have a message ACKed. */
async function stillServes(server: ListenerNode, transport: 'grpc' | 'wss'): Promise<void> {
  const { node, link } = await goodPeer(transport, server);
  const outcome = await link.send(await sealedBytes(node, server.node));
  assert.deepEqual(outcome, { ok: true });
  link.close();
}

function upgradeRefusal(ws: ReturnType<typeof rawWebSocket>): Promise<{ status: number; body: { error: { message: string } }; headers: IncomingMessage['headers'] }> {
  return new Promise((resolve, reject) => {
    ws.on('open', () => reject(new Error('upgrade was accepted')));
    ws.on('error', () => undefined);
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { error: { message: string } }, headers: res.headers }));
    });
  });
}

describe('peer authentication on the gRPC listener', () => {
  it('refuses a client without a certificate: UNAUTHENTICATED with the reason', T, async (t) => {
    const server = await startListenerNode(t);
    const { status } = rawGrpcStream(server.grpcPort, null);
    const s = await status;
    assert.equal(s.code, 16);
    assert.match(s.details, /^unauthenticated: no client certificate/);
    assert.equal(server.links.length, 0);
    await stillServes(server, 'grpc');
  });

  it('refuses a certificate whose key is not P-256, and an expired node certificate', T, async (t) => {
    const server = await startListenerNode(t);
    const p384 = await rawGrpcStream(server.grpcPort, await p384Certificate()).status;
    assert.equal(p384.code, 16);
    assert.match(p384.details, /certificate key is not a P-256 key/);

    const old = await makeTlsNode();
    const expired = await createSelfSignedCertificate(
      { privateKey: old.privateKey, publicKey: old.publicKey, privateScalar: old.privateScalar, pkcs8Pem: old.tls.key },
      old.id,
      { now: new Date(Date.now() - 3 * 24 * 3600 * 1000), validityDays: 1 },
    );
    const s = await rawGrpcStream(server.grpcPort, { key: old.tls.key, cert: expired }).status;
    assert.equal(s.code, 16);
    assert.match(s.details, /certificate has expired/);
    await stillServes(server, 'grpc');
  });

  it('the dialer refuses a server that proves another node ID than the URL names', T, async (t) => {
    const server = await startListenerNode(t);
    const me = await makeTlsNode();
    const someoneElse = await makeTlsNode();
    const dialer = new GrpcDialer({ auth: new PeerAuthenticator({ selfId: me.id, tls: me.tls }), self: { id: me.id, card: () => me.card, version: 't' }, limits: linkLimits(), logger });
    await assert.rejects(
      dialer.dial({ transport: 'grpc', host: '127.0.0.1', port: server.grpcPort, expectedId: someoneElse.id, url: 'grpcs://x' }),
      (err) => isPushmeshError(err) && err.code === 'ERR_PEER_REFUSED' && /forbidden: peer proved node/.test(err.message),
    );
    assert.equal(server.links.length, 0);
  });

  it('deny list: a listed node is refused with PERMISSION_DENIED and the reason; others are served', T, async (t) => {
    const server = await startListenerNode(t);
    const { node: friend, link } = await goodPeer('grpc', server);
    const foe = await makeTlsNode();
    await writeFile(join(server.home, DENY_FILE), `# blocked\n${foe.id}\n`);
    await waitUntil(async () => (await rawGrpcStream(server.grpcPort, foe.tls).status).code === 7);
    const s = await rawGrpcStream(server.grpcPort, foe.tls).status;
    assert.match(s.details, /^forbidden: node is on the deny list/);
    assert.deepEqual(await link.send(await sealedBytes(friend, server.node)), { ok: true }, 'others unaffected');
    link.close();
  });

  it('allow list: only listed nodes, or nodes whose certificate the trust CA signed', T, async (t) => {
    const ca = await testCa();
    const server = await startListenerNode(t, {}, [new X509Certificate(ca.cert)]);
    const listed = await makeTlsNode();
    const unlisted = await makeTlsNode();
    await writeFile(join(server.home, ALLOW_FILE), `${listed.id}\n`);
    await waitUntil(async () => (await rawGrpcStream(server.grpcPort, unlisted.tls).status).code === 7);
    assert.match((await rawGrpcStream(server.grpcPort, unlisted.tls).status).details, /not on the allow list/);
    const stream = rawGrpcStream(server.grpcPort, listed.tls);
    const linked = server.nextLink();
    stream.call.write(SUBSCRIBE);
    assert.equal((await linked).peer.id, listed.id);
    stream.call.cancel();

    const leaf = await ca.issue();
    const caStream = rawGrpcStream(server.grpcPort, leaf);
    const caLinked = server.nextLink();
    caStream.call.write(SUBSCRIBE);
    const caLink = await caLinked;
    assert.equal(caLink.peer.caSigned, true);
    caStream.call.cancel();
  });
});

describe('peer authentication on the WebSocket', () => {
  it('no certificate: the upgrade completes, the only frame is the challenge, an ADS frame instead of a proof closes 1002', T, async (t) => {
    const server = await startListenerNode(t);
    const peer = await openRawPeer(server.httpsPort, { tls: null });
    const challenge = await peer.challenge;
    assert.equal(challenge.listener, server.node.id);
    peer.ws.send(SUBSCRIBE);
    const closed = await peer.closed;
    assert.equal(closed.code, 1002);
    assert.match(closed.reason, /^protocol_error: binary frame/);
    assert.equal(peer.frames.length, 1);
    assert.equal(server.links.length, 0);
    assert.equal(server.refusals.length, 1);
    await stillServes(server, 'wss');
  });

  it('a VAPID Authorization header signed by the peer key admits nothing: challenge, then 4401 for anything but a proof', T, async (t) => {
    const server = await startListenerNode(t);
    const peer = await makeTlsNode();
    const authorization = await peer.signer.authorization(linkAudience(server.node.id));
    const ws = await openRawPeer(server.httpsPort, { tls: null, headers: { authorization } });
    await ws.challenge;
    ws.ws.send(JSON.stringify({ type: 'proof', key: peer.card.keys.p256dh, binding: 'none', sig: Buffer.alloc(64).toString('base64url') }));
    const closed = await ws.closed;
    assert.equal(closed.code, 4401);
    assert.equal(ws.frames.length, 1);
    assert.equal(server.links.length, 0);
  });

  it('a peer on the deny list: 403 before the upgrade', T, async (t) => {
    const server = await startListenerNode(t);
    const foe = await makeTlsNode();
    await writeFile(join(server.home, DENY_FILE), `${foe.id}\n`);
    await waitUntil(async () => (await upgradeRefusal(rawWebSocket(server.httpsPort, { tls: foe.tls })).catch(() => ({ status: 0 }))).status === 403);
    const r = await upgradeRefusal(rawWebSocket(server.httpsPort, { tls: foe.tls }));
    assert.match(r.body.error.message, /^forbidden: node is on the deny list/);
    await stillServes(server, 'wss');
  });

  it('without the pushmesh subprotocol (v2): 400', T, async (t) => {
    const server = await startListenerNode(t);
    const peer = await makeTlsNode();
    const r = await upgradeRefusal(rawWebSocket(server.httpsPort, { tls: peer.tls, protocols: ['chat'] }));
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /subprotocol must be pushmesh\.ads\.v2/);
    const v1 = await upgradeRefusal(rawWebSocket(server.httpsPort, { tls: peer.tls, protocols: ['pushmesh.ads.v1'] }));
    assert.equal(v1.status, 400, 'v1 (VAPID admission) is no longer accepted');
  });

  it('the dialer refuses a server that proves another node ID than the URL names', T, async (t) => {
    const server = await startListenerNode(t);
    const me = await makeTlsNode();
    const dialer = new WsDialer({ auth: new PeerAuthenticator({ selfId: me.id, tls: me.tls }), self: { id: me.id, card: () => me.card, version: 't' }, limits: linkLimits(), logger });
    await assert.rejects(
      dialer.dial({ transport: 'wss', host: '127.0.0.1', port: server.httpsPort, expectedId: me.id, url: 'wss://x' }),
      (err) => isPushmeshError(err) && err.code === 'ERR_PEER_REFUSED' && /forbidden: peer proved node/.test(err.message),
    );
  });
});

/** Re-checks `cond` on every change (the access lists are reloaded on a file watch): bounded wait, no fixed sleep. */
async function waitUntil(cond: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
