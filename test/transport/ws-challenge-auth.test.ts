/**
 * The WebSocket listener admitting peers without a client certificate by
 * the per-connection challenge, over real TLS on 127.0.0.1: a good proof
 * (either binding) starts a link known by the key that signed it; a
 * replayed proof, a proof for another listener or another TLS connection,
 * no proof, a malformed answer or a denied node never does — and the
 * socket is told why with a close code, having been sent nothing but the
 * challenge.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { isPushmeshError } from '../../src/errors/index.js';
import { encodeDiscoveryRequest, WEBPUSH_MESSAGE_TYPE_URL } from '../../src/proto/index.js';
import { DENY_FILE } from '../../src/transport/auth/access-policy.js';
import { PeerAuthenticator } from '../../src/transport/auth/peer-authenticator.js';
import { encodeChallenge, encodeProof, newChallenge, signProof, type ChannelBindingKind } from '../../src/transport/auth/ws-challenge.js';
import { linkLimits } from '../../src/transport/link-limits.js';
import type { Link } from '../../src/transport/types.js';
import { WS_SUBPROTOCOL } from '../../src/transport/ws/subprotocol.js';
import { WsDialer } from '../../src/transport/ws/ws-dialer.js';
import { WebSocketServer, type WebSocket } from 'ws';
import { goodPeer, makeTlsNode, startListenerNode, type ListenerNode } from './listener-node.js';
import { sealedBytes } from './messages.js';
import { openRawPeer, type RawPeer } from './ws-raw-peer.js';
import type { TlsNode } from './tls-nodes.js';

const logger = pino({ level: 'silent' });
const T = { timeout: 60_000 };
const SUBSCRIBE = encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL });

/** Answers the challenge of `peer` with a proof signed by `node` (optionally for another listener ID or exporter). */
async function prove(peer: RawPeer, node: TlsNode, binding: ChannelBindingKind, tamper: { listener?: string; exporter?: Buffer } = {}): Promise<string> {
  const challenge = await peer.challenge;
  const frame = encodeProof(
    signProof({ ...challenge, listener: tamper.listener ?? challenge.listener }, node.tls.key, binding, binding === 'tls-exporter' ? (tamper.exporter ?? peer.exporter()) : undefined),
  );
  peer.ws.send(frame);
  return frame;
}

/** After a good proof: the first ADS request makes the listener hand over the link. */
async function linkAfterProof(server: ListenerNode, peer: RawPeer): Promise<Link> {
  const linked = server.nextLink();
  peer.ws.send(SUBSCRIBE);
  return linked;
}

async function stillServes(server: ListenerNode): Promise<void> {
  const { node, link } = await goodPeer('wss', server);
  assert.deepEqual(await link.send(await sealedBytes(node, server.node)), { ok: true });
  link.close();
}

/** Waits (bounded, polling the mTLS path, which answers 403 once the lists are reloaded) until `node` is denied. */
async function deniedByCertificate(server: ListenerNode, node: TlsNode, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const peer = await openRawPeer(server.httpsPort, { tls: node.tls });
      peer.ws.terminate();
    } catch (err) {
      if (/HTTP 403/.test((err as Error).message)) return;
      throw err;
    }
    if (Date.now() > deadline) throw new Error('the deny list was not loaded in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The only frame a refused peer ever got is the challenge. */
function onlyTheChallenge(peer: RawPeer): void {
  assert.equal(peer.frames.length, 1, `frames: ${peer.frames.map((f) => (f.isBinary ? '<binary>' : f.data.toString())).join(' | ')}`);
  assert.equal(peer.frames[0]!.isBinary, false);
  assert.equal((JSON.parse(peer.frames[0]!.data.toString()) as { type: string }).type, 'challenge');
}

describe('WebSocket peers admitted by challenge (no client certificate)', () => {
  it('the challenge: one text frame, 32-byte nonce, the listener ID; nothing else before a proof', T, async (t) => {
    const server = await startListenerNode(t);
    const peer = await openRawPeer(server.httpsPort, { tls: null });
    const c = await peer.challenge;
    assert.equal(c.nonce.length, 32);
    assert.equal(c.listener, server.node.id);
    const json = JSON.parse(peer.frames[0]!.data.toString()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json).sort(), ['listener', 'nonce', 'type']);
    assert.equal(peer.ws.protocol, 'pushmesh.ads.v2');
    const other = await openRawPeer(server.httpsPort, { tls: null });
    assert.notDeepEqual(Buffer.from((await other.challenge).nonce), Buffer.from(c.nonce), 'a fresh nonce per connection');
    onlyTheChallenge(peer);
    peer.ws.close();
    other.ws.close();
  });

  it('binding tls-exporter: a good proof starts a link known by the key that signed it', T, async (t) => {
    const server = await startListenerNode(t);
    const node = await makeTlsNode();
    const peer = await openRawPeer(server.httpsPort, { tls: null });
    await prove(peer, node, 'tls-exporter');
    const link = await linkAfterProof(server, peer);
    assert.equal(link.peer.id, node.id);
    assert.equal(link.peer.proof, 'challenge');
    assert.equal(link.peer.caSigned, false);
    peer.ws.close();
  });

  it('binding none (what a browser can do): a correct proof is admitted', T, async (t) => {
    const server = await startListenerNode(t);
    const node = await makeTlsNode();
    const peer = await openRawPeer(server.httpsPort, { tls: null });
    await prove(peer, node, 'none');
    const link = await linkAfterProof(server, peer);
    assert.equal(link.peer.id, node.id);
    assert.equal(link.peer.proof, 'challenge');
    peer.ws.close();
  });

  it('replay: a proof recorded on connection 1 is refused on connection 2 (4401), for either binding', T, async (t) => {
    const server = await startListenerNode(t);
    const node = await makeTlsNode();
    for (const binding of ['tls-exporter', 'none'] as const) {
      const first = await openRawPeer(server.httpsPort, { tls: null });
      const recorded = await prove(first, node, binding);
      await linkAfterProof(server, first);
      const second = await openRawPeer(server.httpsPort, { tls: null });
      await second.challenge;
      second.ws.send(recorded);
      const closed = await second.closed;
      assert.equal(closed.code, 4401);
      assert.match(closed.reason, /^unauthenticated: proof refused/);
      onlyTheChallenge(second);
      first.ws.close();
    }
    assert.equal(server.links.length, 2, 'only the two genuine connections became links');
  });

  it('a proof signed for another listener ID is refused (4401)', T, async (t) => {
    const server = await startListenerNode(t);
    const elsewhere = await makeTlsNode();
    const node = await makeTlsNode();
    for (const binding of ['tls-exporter', 'none'] as const) {
      const peer = await openRawPeer(server.httpsPort, { tls: null });
      await prove(peer, node, binding, { listener: elsewhere.id });
      assert.equal((await peer.closed).code, 4401);
      onlyTheChallenge(peer);
    }
    assert.equal(server.links.length, 0);
  });

  it('binding tls-exporter with a wrong exporter is refused (4401)', T, async (t) => {
    const server = await startListenerNode(t);
    const node = await makeTlsNode();
    const peer = await openRawPeer(server.httpsPort, { tls: null });
    await prove(peer, node, 'tls-exporter', { exporter: randomBytes(32) });
    assert.equal((await peer.closed).code, 4401);
    // The exporter of another connection is just as wrong.
    const a = await openRawPeer(server.httpsPort, { tls: null });
    const b = await openRawPeer(server.httpsPort, { tls: null });
    await prove(b, node, 'tls-exporter', { exporter: a.exporter() });
    assert.equal((await b.closed).code, 4401);
    a.ws.close();
    assert.equal(server.links.length, 0);
    await stillServes(server);
  });

  it('no proof within the handshake timeout: closed with 4408', T, async (t) => {
    const server = await startListenerNode(t, { handshakeTimeoutMs: 300 });
    const peer = await openRawPeer(server.httpsPort, { tls: null });
    const started = Date.now();
    const closed = await peer.closed;
    assert.equal(closed.code, 4408);
    assert.match(closed.reason, /^handshake_timeout: no proof within 300 ms/);
    assert.ok(Date.now() - started >= 250);
    onlyTheChallenge(peer);
    assert.equal(server.links.length, 0);
  });

  it('a node on peers.deny proving itself by challenge: 4403, others are served', T, async (t) => {
    const server = await startListenerNode(t);
    const foe = await makeTlsNode();
    await writeFile(join(server.home, DENY_FILE), `${foe.id}\n`);
    await deniedByCertificate(server, foe);
    const peer = await openRawPeer(server.httpsPort, { tls: null });
    await prove(peer, foe, 'tls-exporter');
    const closed = await peer.closed;
    assert.equal(closed.code, 4403);
    assert.match(closed.reason, /^forbidden: node is on the deny list/);
    onlyTheChallenge(peer);
    assert.equal(server.links.length, 0);
    // The dialer's challenge mode reports the same refusal as ERR_PEER_REFUSED.
    const dialer = new WsDialer({ auth: new PeerAuthenticator({ selfId: foe.id, tls: foe.tls }), self: { id: foe.id, card: () => foe.card, version: 't' }, limits: linkLimits(), logger, clientAuth: 'challenge' });
    await assert.rejects(
      dialer.dial({ transport: 'wss', host: '127.0.0.1', port: server.httpsPort, expectedId: server.node.id, url: 'wss://denied' }),
      (err) => isPushmeshError(err) && err.code === 'ERR_PEER_REFUSED' && /deny list/.test(err.message),
    );
    await stillServes(server);
  });

  it('malformed answers (binary, not JSON, bad base64url, wrong lengths, unknown binding) close with 1002 and crash nothing', T, async (t) => {
    const server = await startListenerNode(t);
    const node = await makeTlsNode();
    const good = async (peer: RawPeer): Promise<Record<string, unknown>> => {
      const c = await peer.challenge;
      return JSON.parse(encodeProof(signProof(c, node.tls.key, 'tls-exporter', peer.exporter()))) as Record<string, unknown>;
    };
    const answers: Array<(peer: RawPeer) => Promise<void>> = [
      async (p) => p.ws.send(SUBSCRIBE), // an ADS frame instead of a proof
      async (p) => p.ws.send(Buffer.from(JSON.stringify(await good(p))), { binary: true }),
      async (p) => p.ws.send('{"type":"proof",'),
      async (p) => p.ws.send(JSON.stringify({ ...(await good(p)), sig: '***' })),
      async (p) => p.ws.send(JSON.stringify({ ...(await good(p)), key: Buffer.alloc(33, 2).toString('base64url') })),
      async (p) => p.ws.send(JSON.stringify({ ...(await good(p)), sig: Buffer.alloc(72).toString('base64url') })),
      async (p) => p.ws.send(JSON.stringify({ ...(await good(p)), binding: 'tls-unique' })),
      async (p) => p.ws.send('x'.repeat(100_000)),
    ];
    for (const answer of answers) {
      const peer = await openRawPeer(server.httpsPort, { tls: null });
      await peer.challenge;
      await answer(peer);
      const closed = await peer.closed;
      assert.equal(closed.code, 1002, closed.reason);
      assert.match(closed.reason, /^protocol_error: /);
      onlyTheChallenge(peer);
    }
    assert.equal(server.links.length, 0);
    await stillServes(server);
  });

  it('a second text frame right behind a good proof ends the connection before any link is handed over', T, async (t) => {
    const server = await startListenerNode(t);
    const node = await makeTlsNode();
    const peer = await openRawPeer(server.httpsPort, { tls: null });
    const frame = await prove(peer, node, 'tls-exporter');
    peer.ws.send(frame);
    const closed = await peer.closed;
    assert.equal(closed.code, 1002);
    assert.equal(server.links.length, 0);
    await stillServes(server);
  });

  it('the challenge-mode dialer still checks the server certificate against the ID in the URL', T, async (t) => {
    const server = await startListenerNode(t);
    const me = await makeTlsNode();
    const dialer = new WsDialer({ auth: new PeerAuthenticator({ selfId: me.id, tls: me.tls }), self: { id: me.id, card: () => me.card, version: 't' }, limits: linkLimits(), logger, clientAuth: 'challenge' });
    await assert.rejects(
      dialer.dial({ transport: 'wss', host: '127.0.0.1', port: server.httpsPort, expectedId: me.id, url: 'wss://x' }),
      (err) => isPushmeshError(err) && err.code === 'ERR_PEER_REFUSED' && /forbidden: peer proved node/.test(err.message),
    );
    assert.equal(server.links.length, 0);
    const inbound = server.nextLink();
    const link = await dialer.dial({ transport: 'wss', host: '127.0.0.1', port: server.httpsPort, expectedId: server.node.id, url: 'wss://y' });
    assert.equal(link.peer.id, server.node.id);
    const accepted = await inbound;
    assert.equal(accepted.peer.proof, 'challenge');
    assert.equal(accepted.peer.id, me.id);
    link.close();
  });

  it('a client certificate still means mTLS: no challenge is sent', T, async (t) => {
    const server = await startListenerNode(t);
    const node = await makeTlsNode();
    const peer = await openRawPeer(server.httpsPort, { tls: node.tls });
    const link = await linkAfterProof(server, peer);
    assert.equal(link.peer.proof, 'tls');
    assert.equal(link.peer.id, node.id);
    assert.ok(peer.frames.every((f) => f.isBinary), 'no text frame');
    peer.ws.close();
  });
});

/** A listener that does what the test says with each socket (the server certificate is `node`'s). */
async function fakeListener(t: { after(fn: () => unknown): void }, node: TlsNode, onSocket: (ws: WebSocket) => void): Promise<number> {
  const https = createServer({ key: node.tls.key, cert: node.tls.cert });
  const wss = new WebSocketServer({ server: https, handleProtocols: () => WS_SUBPROTOCOL });
  wss.on('connection', onSocket);
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
  t.after(async () => {
    for (const c of wss.clients) c.terminate();
    wss.close();
    await new Promise<void>((r) => https.close(() => r()));
  });
  return (https.address() as AddressInfo).port;
}

describe('WsDialer with clientAuth challenge, against a listener that misbehaves', () => {
  const dial = async (port: number, serverId: string, limits = linkLimits()) => {
    const me = await makeTlsNode();
    const dialer = new WsDialer({ auth: new PeerAuthenticator({ selfId: me.id, tls: me.tls }), self: { id: me.id, card: () => me.card, version: 't' }, limits, logger, clientAuth: 'challenge' });
    return dialer.dial({ transport: 'wss', host: '127.0.0.1', port, expectedId: serverId, url: 'wss://fake' });
  };

  it('a challenge naming another listener than the certificate proved: refused, no proof sent', T, async (t) => {
    const server = await makeTlsNode();
    const other = await makeTlsNode();
    const received: string[] = [];
    const port = await fakeListener(t, server, (ws) => {
      ws.on('message', (d) => received.push(String(d)));
      ws.send(encodeChallenge(newChallenge(other.id)));
    });
    await assert.rejects(dial(port, server.id), (err) => isPushmeshError(err) && err.code === 'ERR_PEER_REFUSED' && /challenge names node/.test(err.message));
    assert.deepEqual(received, []);
  });

  it('a malformed challenge: ERR_PEER_REFUSED; no challenge in time: ERR_UNAVAILABLE', T, async (t) => {
    const server = await makeTlsNode();
    const garbled = await fakeListener(t, server, (ws) => ws.send('{"type":"challenge","nonce":"AA","listener":"x"}'));
    await assert.rejects(dial(garbled, server.id), (err) => isPushmeshError(err) && err.code === 'ERR_PEER_REFUSED' && /bad challenge/.test(err.message));
    const silent = await fakeListener(t, server, () => undefined);
    await assert.rejects(dial(silent, server.id, linkLimits({ handshakeTimeoutMs: 300 })), (err) => isPushmeshError(err) && err.code === 'ERR_UNAVAILABLE' && /no challenge within 300 ms/.test(err.message));
  });
});
