/**
 * Senders that cannot be forged (docs/security.md), tried as an attacker
 * would against real nodes on 127.0.0.1. X is an honest node; R is a
 * relay the attacker runs (a real node key that links to X over gRPC
 * with mutual TLS) that X uses as a jump host to reach Z, so R holds a real wire copy
 * of X's message for Z: X's VAPID token for `pushmesh://Z`, X's sender
 * MAC, the encrypted body. M is an HTTPS Web Push endpoint the attacker
 * runs that X sends to directly, so it holds X's token for M's origin.
 * With what they saw, R and M try to make Z's apps (and Z's own protocol
 * handlers) believe X wrote something X did not: over a link, over
 * HTTPS with and without a Host header of their choice, and as a sealed
 * CloudEvent. Every try is refused and counted; Z keeps serving X.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { HTTP } from 'cloudevents';
import { sealedToCloudEvent } from '../../src/cloudevents/index.js';
import { PeerStore } from '../../src/identity/index.js';
import { encodePlaintext, recipientOf } from '../../src/message/index.js';
import type { WebpushMessage } from '../../src/message/types.js';
import type { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { encodeWebpushMessage } from '../../src/proto/index.js';
import { formatSenderHeader, SENDER_HEADER } from '../../src/transport/https/sender-header.js';
import type { Link } from '../../src/transport/types.js';
import { encryptWebPush } from '../../src/webpush/index.js';
import { localUrl, startInProcessNode } from '../helpers/in-process-node.js';
import { metricValue, metrics, postMessage } from '../helpers/local-api.js';
import { agentTrusting, httpsRequest } from '../helpers/web-push.js';
import { captureFrom, dialAs, startCapturingEndpoint, watchBus } from '../helpers/attackers.js';
import { makeTlsNode, type TlsNode } from '../transport/tls-nodes.js';


describe('forged senders: what a relay or an endpoint that saw X\'s messages can do against Z', { timeout: 120_000 }, () => {
  let x: PushmeshNode;
  let z: PushmeshNode;
  let zApps: ReturnType<typeof watchBus>;
  let endpoint: Awaited<ReturnType<typeof startCapturingEndpoint>>;
  let rNode: TlsNode;
  let mNode: TlsNode;
  let link: Link;
  /** X's real message for Z, as the relay holds it. */
  let held: WebpushMessage;
  const cleanups: Array<() => unknown> = [];
  const scope = { after: (fn: () => unknown) => void cleanups.push(fn) };

  /** A body the attacker writes, encrypted to Z's public card (RFC 8291 encryption is anonymous: anyone can). */
  function attackerBody(id: string, topic: string, data: unknown): Uint8Array {
    return encryptWebPush(encodePlaintext({ id, topic, time: Date.now(), meta: { re: 'x' }, data: { kind: 'json', value: data } }), recipientOf(z.card()));
  }

  async function pushToZ(headers: Record<string, string>, body: Uint8Array) {
    const { port } = (z as unknown as { addresses: { https: { port: number } } }).addresses.https;
    return httpsRequest(`https://127.0.0.1:${port}/push/${z.id}`, {
      headers: { 'content-encoding': 'aes128gcm', ttl: '60', ...headers },
      body: Buffer.from(body),
      agent: agentTrusting({ certPem: z.identity.certificatePem, id: z.id }),
    });
  }

  const dropped = async (reason: string): Promise<number> => metricValue(await metrics(localUrl(z)), 'pushmesh_messages_dropped_total', { reason });

  before(async () => {
    [rNode, mNode] = await Promise.all([makeTlsNode(), makeTlsNode()]);
    endpoint = await startCapturingEndpoint(mNode);
    cleanups.push(() => endpoint.close());
    z = await startInProcessNode(scope, { grpc: { host: '127.0.0.1', port: 0 } });
    zApps = watchBus(z);
    x = await startInProcessNode(scope, { grpc: { host: '127.0.0.1', port: 0 } });
    const toX = await dialAs(rNode, x);
    cleanups.push(() => toX.close());
    const relay = captureFrom(toX);
    const xPeers = new PeerStore(x.config.home);
    await xPeers.add(z.card());
    await xPeers.add({ ...mNode.card, endpoint: `${endpoint.origin}/push/${mNode.id}` });
    await x.refreshPeers();

    // X → Z through the attacker's relay: the relay now holds a real wire copy.
    assert.equal((await postMessage(localUrl(x), 'chat', { to: z.id, via: rNode.id }, { real: 'from X' })).status, 202);
    held = await relay.next();
    assert.equal(held.from, x.id);
    assert.equal(held.to, z.id);
    assert.ok(held.senderMac, 'X proves its messages');

    // X → M over HTTPS: the endpoint now holds X's Authorization header for its own origin, and X's proof for M.
    assert.equal((await postMessage(localUrl(x), 'chat', { to: mNode.id }, { hello: 'M' })).status, 202);
    while (endpoint.pushes.length === 0) await new Promise((res) => setTimeout(res, 20));
    assert.ok(endpoint.pushes[0]!['authorization']);
    assert.ok(endpoint.pushes[0]![SENDER_HEADER]);

    // The attacker's relay links to Z like any stranger may (mutual TLS with its own key).
    link = await dialAs(rNode, z);
    cleanups.push(() => link.close());
  });

  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  /** Z still takes X's genuine messages, and shows them as X's. */
  async function assertZServesX(tag: string): Promise<void> {
    assert.equal((await postMessage(localUrl(x), 'chat', { to: z.id }, { still: tag })).status, 202);
    const m = await zApps.next((m) => (m.data as { value?: { still?: string } }).value?.still === tag);
    assert.equal(m.from, x.id);
  }

  it('over a link: X\'s token and MAC with the relay\'s own body, or without the MAC, are NACKed bad_signature and reach nobody', async () => {
    const before = await dropped('bad_signature');
    const forgeries: Array<[string, WebpushMessage]> = [
      ['X\'s MAC, the relay\'s body', { ...held, via: [], path: [rNode.id], body: attackerBody(held.id, 'chat', { evil: 1 }) }],
      ['no MAC, the relay\'s body', { ...held, via: [], path: [rNode.id], senderMac: undefined, body: attackerBody(held.id, 'chat', { evil: 2 }) }],
      ['no MAC, a request to Z\'s service as X', { ...held, via: [], path: [rNode.id], senderMac: undefined, body: attackerBody(held.id, 'pushmesh.req', { method: 'GET', path: '/' }) }],
      ['no MAC, a receipt as X', { ...held, via: [], path: [rNode.id], senderMac: undefined, body: attackerBody(held.id, 'pushmesh.receipt', { id: 'x' }) }],
      ['X\'s MAC, another message id', { ...held, id: 'forged-id-1', via: [], path: [rNode.id] }],
    ];
    for (const [what, wire] of forgeries) {
      if (wire.senderMac === undefined) delete wire.senderMac;
      const outcome = await link.send(encodeWebpushMessage(wire));
      assert.deepEqual(outcome, { ok: false, reason: 'bad_signature' }, what);
    }
    assert.equal(zApps.got.filter((m) => m.from === x.id).length, 0, 'nothing reached Z as X');
    assert.equal((await dropped('bad_signature')) - before, forgeries.length);
    await assertZServesX('after link forgeries');
  });

  it('over a link: the real copy is delivered once, as X wrote it; sent again it is ACKed, not delivered again', async () => {
    const real = { ...held, via: [], path: [rNode.id] };
    assert.deepEqual(await link.send(encodeWebpushMessage(real)), { ok: true });
    const m = await zApps.next((m) => m.id === held.id);
    assert.deepEqual(m.data, { kind: 'json', value: { real: 'from X' } });
    assert.equal(m.from, x.id);
    assert.deepEqual(await link.send(encodeWebpushMessage(real)), { ok: true });
    await assertZServesX('after the replay');
    assert.equal(zApps.got.filter((g) => g.id === held.id).length, 1);
  });

  it('over HTTPS: the relay\'s token for pushmesh://Z without a proof, or with X\'s proof on another body → 403; nothing reaches Z', async () => {
    const body = attackerBody(held.id, 'chat', { evil: 3 });
    const noProof = await pushToZ({ authorization: held.authorization }, body);
    assert.equal(noProof.status, 403, noProof.body);
    const proofHeader = formatSenderHeader({ id: held.id, time: held.time, mac: held.senderMac! });
    const wrongBody = await pushToZ({ authorization: held.authorization, [SENDER_HEADER]: proofHeader }, body);
    assert.equal(wrongBody.status, 403, wrongBody.body);
    assert.match(wrongBody.body, /sender MAC/);
    assert.equal(zApps.got.filter((m) => (m.data as { value?: { evil?: number } }).value?.evil === 3).length, 0);
    await assertZServesX('after HTTPS forgeries');
  });

  it('over HTTPS: the endpoint\'s captured token, with the Host header set to its own address, opens nothing at Z (aud is never taken from Host)', async () => {
    const captured = endpoint.pushes[0]!;
    const host = new URL(endpoint.origin).host;
    const body = attackerBody('forged-2', 'chat', { evil: 4 });
    const variants: Array<Record<string, string>> = [
      { authorization: String(captured['authorization']), host },
      { authorization: String(captured['authorization']), host, [SENDER_HEADER]: String(captured[SENDER_HEADER]) },
      { authorization: String(captured['authorization']) },
    ];
    for (const headers of variants) {
      const res = await pushToZ(headers, body);
      assert.equal(res.status, 403, res.body);
    }
    assert.equal(zApps.got.filter((m) => (m.data as { value?: { evil?: number } }).value?.evil === 4).length, 0);
    await assertZServesX('after the Host trick');
  });

  it('as a sealed CloudEvent (POST /ce, as any NATS or Pub/Sub writer could): X\'s wire with another body, or without its MAC, is refused', async () => {
    const forged = { ...held, via: [], body: attackerBody(held.id, 'chat', { evil: 5 }) };
    const stripped: WebpushMessage = { ...forged };
    delete stripped.senderMac;
    for (const wire of [forged, stripped]) {
      const { headers, body } = HTTP.binary(sealedToCloudEvent(wire));
      const res = await fetch(`${localUrl(z)}/ce`, { method: 'POST', headers: headers as Record<string, string>, body: body as Uint8Array });
      const text = await res.text();
      assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${text}`);
      assert.match(text, /sender MAC/);
    }
    assert.equal(zApps.got.filter((m) => (m.data as { value?: { evil?: number } }).value?.evil === 5).length, 0);
    await assertZServesX('after sealed CloudEvents');
  });

  it('X over HTTPS Web Push proves itself (Pushmesh-Sender) and is shown as X', async () => {
    await assertZServesX('https direct');
  });
});
