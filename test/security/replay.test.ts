/**
 * Replay protection that a stranger cannot evict (docs/security.md "Replay
 * protection"), against real nodes on 127.0.0.1. A relay the attacker runs
 * keeps a wire copy of X's message to Z and delivers it; then it floods Z
 * to push that message out of Z's memory — with one key sending many
 * messages, and with many throwaway keys — and presents the copy again.
 * It never reaches Z's apps a second time (Z's bounds are made small so
 * the flood fits in a test: 60 entries in all, 40 per sender).
 */
import { strict as assert } from 'node:assert';
import { describe, it, type TestContext } from 'node:test';
import { PeerStore } from '../../src/identity/index.js';
import type { Message, WebpushMessage } from '../../src/message/types.js';
import type { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { encodeWebpushMessage } from '../../src/proto/index.js';
import type { Link } from '../../src/transport/types.js';
import { defaultConfig } from '../../src/config/index.js';
import { localUrl, startInProcessNode } from '../helpers/in-process-node.js';
import { postMessage } from '../helpers/local-api.js';
import { tempHome } from '../helpers/temp-dir.js';
import { agentTrusting, httpsRequest, webPush } from '../helpers/web-push.js';
import { dialAs } from '../helpers/attackers.js';
import { makeTlsNode } from '../transport/tls-nodes.js';


/** The first message X gives the attacker's link (X uses it as a jump host); ACKed. */
async function captureOne(l: Link): Promise<WebpushMessage> {
  for await (const m of l.incoming) {
    m.ack();
    return m.wire;
  }
  throw new Error('link closed before X sent anything');
}

/** A plain Web Push to Z's card with `vapid` keys (a fresh sender for each new key pair). */
async function plainPush(z: PushmeshNode, vapid: { publicKey: string; privateKey: string }, payload: string): Promise<number> {
  const d = webPush.generateRequestDetails(z.card(), payload, { vapidDetails: { subject: 'mailto:flood@example.com', ...vapid }, TTL: 60 });
  const res = await httpsRequest(d.endpoint, { headers: d.headers, body: d.body!, agent: agentTrusting({ certPem: z.identity.certificatePem, id: z.id }) });
  return res.status;
}

/**
 * X (a real node that knows Z's card) sends one message to Z through the attacker's relay R (a node key that links to
 * both); R keeps the wire copy. Returns X, R's link to Z, and the copy as R would pass it on.
 */
async function relayHoldingCopyFor(t: TestContext, z: PushmeshNode, data: unknown) {
  const x = await startInProcessNode(t, { grpc: { host: '127.0.0.1', port: 0 } });
  await new PeerStore(x.config.home).add(z.card());
  await x.refreshPeers();
  const r = await makeTlsNode();
  const toX = await dialAs(r, x);
  t.after(() => toX.close());
  const toZ = await dialAs(r, z);
  t.after(() => toZ.close());
  const capture = captureOne(toX);
  assert.equal((await postMessage(localUrl(x), 'chat', { to: z.id, via: r.id }, data)).status, 202);
  return { x, toZ, saved: { ...(await capture), via: [], path: [r.id] } };
}

describe('replay after a flood: a saved copy of X\'s message never reaches Z\'s apps twice', { timeout: 120_000 }, () => {
  it('one key flooding, then many throwaway keys flooding: the copy is ACKed or refused as stale, never delivered again', async (t) => {
    const zHome = await tempHome(t);
    const z = await startInProcessNode(t, { home: zHome, grpc: { host: '127.0.0.1', port: 0 }, limits: { ...defaultConfig(zHome).limits, replayEntries: 60, replayEntriesPerSender: 40 } });
    const delivered: Message[] = [];
    z.bus.on('published', (ev) => delivered.push(ev.message));
    const { x, toZ, saved } = await relayHoldingCopyFor(t, z, { once: true });
    const fromX = (): Message[] => delivered.filter((m) => m.from === x.id);
    const bytes = encodeWebpushMessage(saved);

    // The relay delivers it honestly: Z's apps get it once.
    assert.deepEqual(await toZ.send(bytes), { ok: true });
    assert.equal(fromX().length, 1);

    // 1. One key floods 100 messages (over its own bound of 40 and the total of 60): that key pays, X's entry stays.
    const flooder = webPush.generateVAPIDKeys();
    for (let i = 0; i < 100; i++) assert.equal(await plainPush(z, flooder, `flood ${i}`), 201);
    assert.deepEqual(await toZ.send(bytes), { ok: true }, 'still known: a duplicate, ACKed');
    assert.equal(fromX().length, 1);

    // 2. 100 throwaway keys, one message each: now every sender holds one entry and whole senders are forgotten, X's too.
    for (let i = 0; i < 100; i++) assert.equal(await plainPush(z, webPush.generateVAPIDKeys(), `throwaway ${i}`), 201);
    const outcome = await toZ.send(bytes);
    assert.ok(outcome.ok || outcome.reason === 'bad_message', `ACK (known) or refused as stale, got ${JSON.stringify(outcome)}`);
    assert.equal(fromX().length, 1, 'never delivered twice');

    // And Z keeps serving X: a new message arrives (proof checked, window fresh).
    assert.equal((await postMessage(localUrl(x), 'chat', { to: z.id }, { after: 'flood' })).status, 202);
    while (fromX().length < 2) await new Promise<void>((res) => z.bus.once('published', () => res()));
    assert.deepEqual(fromX()[1]!.data, { kind: 'json', value: { after: 'flood' } });
  });

  it('a copy older than the window is refused (bad_message), and one from the future too', async (t) => {
    const z = await startInProcessNode(t, { grpc: { host: '127.0.0.1', port: 0 } });
    const { toZ, saved } = await relayHoldingCopyFor(t, z, { n: 1 });
    // The time is covered by X's MAC: moving it makes the MAC fail. So the relay can only present it as it is;
    // what the window does is shown by the unit and property tests of the ReplayGuard (test/inbox).
    for (const time of [saved.time - 25 * 3600_000, saved.time + 3600_000]) {
      assert.deepEqual(await toZ.send(encodeWebpushMessage({ ...saved, time })), { ok: false, reason: 'bad_signature' });
    }
  });
});
