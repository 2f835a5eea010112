/**
 * The attack that pushmesh.ads.v1 allowed (issue 11, point 5), tried
 * against real nodes on 127.0.0.1: X is an honest node, Z the node whose
 * `/ws` the attacker opens. The attacker has seen real VAPID tokens of X:
 *
 * - as the relay R that X uses as a jump host to Z (R links to X with its
 *   own key): X's token for `pushmesh://Z`, which v1 took as proof that
 *   the socket was X;
 * - as the Web Push endpoint M that X sends to: X's token for M's origin,
 *   which v1 took as well when the request's Host named that origin.
 *
 * With either token in `Authorization`, offering v1 and v2 and no client
 * certificate, the attacker gets the challenge and nothing more: no link
 * is admitted, Z never lists X over that socket, and what Z sends to X
 * goes to X, never down the attacker's socket.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { PeerStore } from '../../src/identity/index.js';
import type { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { encodeDiscoveryRequest, NODE_CARD_TYPE_URL } from '../../src/proto/index.js';
import { CARD_METADATA_KEY } from '../../src/transport/ads/ads-frames.js';
import { PeerAuthenticator } from '../../src/transport/auth/peer-authenticator.js';
import { GrpcDialer } from '../../src/transport/grpc/grpc-dialer.js';
import { linkLimits } from '../../src/transport/link-limits.js';
import { parseVapidAuthorization } from '../../src/webpush/vapid-authorization.js';
import { localUrl, startInProcessNode } from '../helpers/in-process-node.js';
import { postMessage } from '../helpers/local-api.js';
import { captureFrom, startCapturingEndpoint, watchBus } from '../helpers/attackers.js';
import { makeTlsNode } from './tls-nodes.js';
import { openRawPeer, type RawPeer } from './ws-raw-peer.js';

const logger = pino({ level: 'silent' });
const BOTH = ['pushmesh.ads.v1', 'pushmesh.ads.v2'];

describe('a captured VAPID token of X, replayed on Z\'s /ws', { timeout: 120_000 }, () => {
  let x: PushmeshNode;
  let z: PushmeshNode;
  let xApps: ReturnType<typeof watchBus>;
  let endpoint: Awaited<ReturnType<typeof startCapturingEndpoint>>;
  /** X's token for pushmesh://Z, as the relay saw it. */
  let relayToken: string;
  /** X's token for the endpoint's origin, as the endpoint saw it. */
  let endpointToken: string;
  const cleanups: Array<() => unknown> = [];
  const scope = { after: (fn: () => unknown) => void cleanups.push(fn) };

  const zPort = (): number => z.addresses.https!.port;
  /** Live links Z lists for X (GET /peers: `connected`). */
  const zLinksToX = () => z.peers().filter((p) => p.id === x.id && p.connected);
  /** The attacker's socket to Z: the token in Authorization, v1 and v2 offered, no client certificate. */
  const attack = (authorization: string, headers: Record<string, string> = {}): Promise<RawPeer> =>
    openRawPeer(zPort(), { tls: null, protocols: BOTH, headers: { authorization, ...headers } });
  /** What the v1 attacker sent first: an ADS request carrying X's card, as if it were X. */
  const claimToBeX = (): Buffer => encodeDiscoveryRequest({ typeUrl: NODE_CARD_TYPE_URL, node: { id: x.id, metadata: { [CARD_METADATA_KEY]: { ...x.card() } } } });

  before(async () => {
    const [rNode, mNode] = await Promise.all([makeTlsNode(), makeTlsNode()]);
    endpoint = await startCapturingEndpoint(mNode);
    cleanups.push(() => endpoint.close());
    z = await startInProcessNode(scope);
    x = await startInProcessNode(scope, { grpc: { host: '127.0.0.1', port: 0 } });
    xApps = watchBus(x);
    const xPeers = new PeerStore(x.config.home);
    await xPeers.add(z.card());
    await xPeers.add({ ...mNode.card, endpoint: `${endpoint.origin}/push/${mNode.id}` });
    await x.refreshPeers();
    await new PeerStore(z.config.home).add(x.card());
    await z.refreshPeers();

    // The attacker's relay links to X (as any node may) and X uses it as a jump host to Z.
    const dialer = new GrpcDialer({ auth: new PeerAuthenticator({ selfId: rNode.id, tls: rNode.tls }), self: { id: rNode.id, card: () => rNode.card, version: 'attacker' }, limits: linkLimits(), logger });
    const toX = await dialer.dial({ transport: 'grpc', host: '127.0.0.1', port: x.addresses.grpc!.port, expectedId: x.id, url: 'grpcs://x' });
    cleanups.push(() => toX.close());
    const relay = captureFrom(toX);
    assert.equal((await postMessage(localUrl(x), 'chat', { to: z.id, via: rNode.id }, { real: 'from X' })).status, 202);
    const held = await relay.next();
    assert.equal(held.from, x.id);
    relayToken = held.authorization;

    // X sends to M's endpoint over HTTPS: the endpoint holds X's Authorization header for its origin.
    assert.equal((await postMessage(localUrl(x), 'chat', { to: mNode.id }, { hello: 'M' })).status, 202);
    await endpoint.gotOne;
    endpointToken = String(endpoint.pushes[0]!['authorization']);

    // Both are real tokens of X, for the audiences the v1 listener accepted.
    const k = x.card().keys.p256dh;
    for (const [token, aud] of [[relayToken, `pushmesh://${z.id}`], [endpointToken, endpoint.origin]] as const) {
      const parsed = parseVapidAuthorization(token);
      assert.equal(parsed.key.toString('base64url'), k);
      assert.equal((JSON.parse(Buffer.from(parsed.token.split('.')[1]!, 'base64url').toString()) as { aud: string }).aud, aud);
    }
  });

  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  it('X\'s token for pushmesh://Z: only the challenge; X\'s card as the first frame closes 1002; no link', async () => {
    const peer = await attack(relayToken);
    assert.equal(peer.ws.protocol, 'pushmesh.ads.v2', 'v1 is not offered back');
    assert.equal((await peer.challenge).listener, z.id);
    peer.ws.send(claimToBeX());
    const closed = await peer.closed;
    assert.equal(closed.code, 1002);
    assert.equal(peer.frames.length, 1, 'nothing but the challenge was sent');
    assert.deepEqual(zLinksToX(), []);
  });

  it('X\'s token for the endpoint\'s origin, Host naming that origin: the same, and a "proof" made of the token\'s own signature closes 4401', async () => {
    for (const token of [endpointToken, relayToken]) {
      const peer = await attack(token, { host: endpoint.host });
      await peer.challenge;
      // The best an attacker holding the token has: X's key and a real ES256 signature by X (over the JWT, not this challenge).
      const { token: jwt, key } = parseVapidAuthorization(token);
      const k = key.toString('base64url');
      const jwtSig = jwt.split('.')[2]!;
      assert.equal(Buffer.from(jwtSig, 'base64url').length, 64);
      for (const binding of ['none', 'tls-exporter']) {
        const again = binding === 'none' ? peer : await attack(token, { host: endpoint.host });
        if (again !== peer) await again.challenge;
        again.ws.send(JSON.stringify({ type: 'proof', key: k, binding, sig: jwtSig }));
        const closed = await again.closed;
        assert.equal(closed.code, 4401, closed.reason);
        assert.match(closed.reason, /^unauthenticated: proof refused/);
        assert.equal(again.frames.length, 1);
      }
    }
    assert.deepEqual(zLinksToX(), []);
  });

  it('while the attacker\'s socket is open, a message Z is asked to send to X goes to X, never down that socket', async () => {
    const peer = await attack(relayToken);
    await peer.challenge;
    peer.ws.send(JSON.stringify({ type: 'proof', key: x.card().keys.p256dh, binding: 'none' })); // incomplete: refused
    const refused = await peer.closed;
    assert.equal(refused.code, 1002);
    // A second socket that just stays open (no answer yet) while Z sends to X.
    const waiting = await attack(relayToken);
    await waiting.challenge;
    assert.deepEqual(zLinksToX(), [], 'Z lists no link to X');
    const sent = await postMessage(localUrl(z), 'chat', { to: x.id }, { for: 'X only' });
    assert.equal(sent.status, 202);
    const got = await xApps.next((m) => (m.data as { value?: { for?: string } }).value?.for === 'X only');
    assert.equal(got.from, z.id);
    assert.equal(waiting.frames.length, 1, 'the attacker got the challenge and nothing else');
    assert.equal(peer.frames.length, 1);
    assert.deepEqual(zLinksToX(), []);
    waiting.ws.close();
    await waiting.closed;
  });
});
