import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nodeIdFromPublicKey } from '../../src/identity/node-id.js';
import { metrics, metricValue } from '../helpers/local-api.js';
import { spawnNode, type NodeProcess } from '../helpers/node-process.js';
import { openSse, type SseClient } from '../helpers/sse.js';
import { agentTrusting, httpsRequest, webPush } from '../helpers/web-push.js';

/**
 * A real node's HTTPS Web Push receiver (RFC 8030/8291/8292) driven by the
 * `web-push` npm library, the reference sender: what it sends is accepted;
 * each bad input gets its status, and the node keeps serving.
 */
describe('HTTPS Web Push receiver, with web-push as the sender', { timeout: 90_000 }, () => {
  let b: NodeProcess;
  let sse: SseClient;
  const vapid = webPush.generateVAPIDKeys();
  const senderId = nodeIdFromPublicKey(Buffer.from(vapid.publicKey, 'base64url'));
  const vapidDetails = { subject: 'mailto:test@example.com', publicKey: vapid.publicKey, privateKey: vapid.privateKey };
  const cleanups: (() => unknown)[] = [];

  before(async () => {
    b = await spawnNode({ scope: { after: (fn) => cleanups.push(fn) } });
    sse = await openSse(`${b.local}/msg`);
    cleanups.push(() => sse.close());
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  /** A request as web-push builds it for B's card, with `payload`. */
  function details(payload: string | Buffer, options: Record<string, unknown> = {}) {
    return webPush.generateRequestDetails(b.card, payload, { vapidDetails, TTL: 60, ...options });
  }

  async function post(headers: Record<string, string | number>, body: Buffer | string, path = new URL(b.card.endpoint).pathname) {
    return httpsRequest(`${b.https!}${path}`, { headers, body, agent: agentTrusting(b) });
  }

  /** A good push still goes through and reaches B's apps. */
  async function assertStillServing(tag: string): Promise<void> {
    const payload = JSON.stringify({ still: tag });
    const d = details(payload);
    const res = await post(d.headers, d.body!);
    assert.equal(res.status, 201, `good push after ${tag}: ${res.body}`);
    await sse.waitForMessage((m) => JSON.stringify(m.data) === payload);
  }

  it('generateRequestDetails + https.request: 201 with Location, delivered to apps as an unverified sender (its VAPID key, no from)', async () => {
    const payload = JSON.stringify({ hello: 'from web-push', n: 42 });
    const d = details(payload, { urgency: 'high', topic: 'upd-1' });
    assert.equal(d.method, 'POST');
    assert.equal(d.endpoint, b.card.endpoint);
    const res = await httpsRequest(d.endpoint, { headers: d.headers, body: d.body!, agent: agentTrusting(b) });
    assert.equal(res.status, 201, res.body);
    assert.match(String(res.headers.location), new RegExp(`^/push/${b.id}/m/[A-Za-z0-9_-]+$`));
    const got = await sse.waitForMessage((m) => JSON.stringify(m.data) === payload);
    assert.equal(got.from, '');
    assert.equal(got['unverifiedSender'], vapid.publicKey);
    assert.equal(got.to, b.id);
    assert.equal(got.topic, 'webpush');
    assert.equal(got['urgency'], 'high');
    assert.equal(got['ttl'], 60);
  });

  it('sendNotification with an https.Agent that trusts the node certificate', async () => {
    // Without that agent the self-signed certificate is refused, as it should be.
    await assert.rejects(webPush.sendNotification(b.card, 'x', { vapidDetails, TTL: 30 }), /self[- ]signed|unable to verify|certificate/i);
    const result = await webPush.sendNotification(b.card, 'plain text body', { vapidDetails, TTL: 30, agent: agentTrusting(b) });
    assert.equal(result.statusCode, 201);
    assert.ok(result.headers['location']);
    const got = await sse.waitForMessage((m) => m.data === 'plain text body');
    assert.equal(got.from, '');
    assert.equal(got['unverifiedSender'], vapid.publicKey);
    // Bytes that are not UTF-8 arrive as base64.
    const raw = Buffer.from([0xff, 0xfe, 0x00, 0x80]);
    await webPush.sendNotification(b.card, raw, { vapidDetails, TTL: 30, agent: agentTrusting(b) });
    const gotRaw = await sse.waitForMessage((m) => m.data === raw.toString('base64'));
    assert.equal(gotRaw['encoding'], 'base64');
  });

  it('RFC 8030 headers: TTL required and numeric, Urgency one of four, Topic ≤ 32 base64url → 400', async () => {
    const d = details('x');
    const without = (name: string) => Object.fromEntries(Object.entries(d.headers).filter(([k]) => k.toLowerCase() !== name));
    const cases: [string, Record<string, string | number>][] = [
      ['no TTL', without('ttl')],
      ['TTL not a number', { ...without('ttl'), TTL: 'soon' }],
      ['TTL negative', { ...without('ttl'), TTL: '-5' }],
      ['Urgency outside RFC 8030', { ...d.headers, Urgency: 'urgent' }],
      ['Topic with bad characters', { ...d.headers, Topic: 'no spaces!' }],
      ['Topic over 32 characters', { ...d.headers, Topic: 'a'.repeat(33) }],
    ];
    for (const [what, headers] of cases) {
      const res = await post(headers, d.body!);
      assert.equal(res.status, 400, `${what}: ${res.body}`);
      assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'ERR_BAD_ARGUMENT', what);
    }
    assert.match((JSON.parse((await post(without('ttl'), d.body!)).body) as { error: { message: string } }).error.message, /TTL/);
    await assertStillServing('bad headers');
  });

  it('VAPID: none → 401; bad signature, expired, wrong aud, wrong key → 403', async () => {
    const before = await metrics(b.local);
    const d = details('x');
    const noAuth = Object.fromEntries(Object.entries(d.headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
    const none = await post(noAuth, d.body!);
    assert.equal(none.status, 401, none.body);
    assert.equal(none.headers['www-authenticate'], 'vapid');

    const origin = new URL(b.card.endpoint).origin;
    const auth = String(d.headers['Authorization']);
    const token = /t=([^,\s]+)/.exec(auth)![1]!;
    const flipped = token.slice(0, -2) + (token.at(-2) === 'A' ? 'B' : 'A') + token.at(-1);
    const past = Math.floor(Date.now() / 1000) - 60;
    const expired = webPush.getVapidHeaders(origin, vapidDetails.subject, vapid.publicKey, vapid.privateKey, 'aes128gcm', past);
    const wrongAud = webPush.getVapidHeaders('https://elsewhere.example', vapidDetails.subject, vapid.publicKey, vapid.privateKey, 'aes128gcm');
    const other = webPush.generateVAPIDKeys();
    const wrongKey = `vapid t=${token}, k=${other.publicKey}`;
    const cases: [string, string][] = [
      ['bad signature', auth.replace(token, flipped)],
      ['expired', expired.Authorization],
      ['wrong aud', wrongAud.Authorization],
      ['k is not the signing key', wrongKey],
      ['not a vapid header', 'Bearer abc'],
    ];
    for (const [what, authorization] of cases) {
      const res = await post({ ...d.headers, Authorization: authorization }, d.body!);
      assert.equal(res.status, 403, `${what}: ${res.body}`);
      assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'ERR_VAPID_INVALID', what);
    }
    const after = await metrics(b.local);
    assert.ok(metricValue(after, 'pushmesh_crypto_errors_total', { kind: 'vapid' }) - metricValue(before, 'pushmesh_crypto_errors_total', { kind: 'vapid' }) >= 6);
    await assertStillServing('bad VAPID');
  });

  it('body over 4096 bytes → 413; body that does not decrypt → 400; unknown node → 404; other coding → 415', async () => {
    const before = await metrics(b.local);
    const d = details('x');
    const big = await post({ ...d.headers, 'Content-Length': 5000 }, randomBytes(5000));
    assert.equal(big.status, 413, big.body);
    assert.equal((JSON.parse(big.body) as { error: { code: string } }).error.code, 'ERR_PAYLOAD_TOO_LARGE');

    const garbage = randomBytes(200);
    const notDecrypting = await post({ ...d.headers, 'Content-Length': garbage.length }, garbage);
    assert.equal(notDecrypting.status, 400, notDecrypting.body);
    assert.equal((JSON.parse(notDecrypting.body) as { error: { code: string } }).error.code, 'ERR_DECRYPT');

    // Encrypted to another subscription's keys: decryption fails the same opaque way.
    const stranger = webPush.generateRequestDetails(
      { endpoint: b.card.endpoint, keys: { p256dh: webPush.generateVAPIDKeys().publicKey, auth: randomBytes(16).toString('base64url') } },
      'secret',
      { vapidDetails, TTL: 60 },
    );
    const wrongKeys = await post(stranger.headers, stranger.body!);
    assert.equal(wrongKeys.status, 400, wrongKeys.body);

    const unknownNode = await post(d.headers, d.body!, `/push/${'b'.repeat(52)}`);
    assert.equal(unknownNode.status, 404, unknownNode.body);
    const notAnId = await post(d.headers, d.body!, '/push/not-a-node');
    assert.equal(notAnId.status, 404);

    const aesgcm = await post({ ...d.headers, 'Content-Encoding': 'aesgcm' }, d.body!);
    assert.equal(aesgcm.status, 415, aesgcm.body);

    const after = await metrics(b.local);
    assert.ok(metricValue(after, 'pushmesh_crypto_errors_total', { kind: 'decrypt' }) - metricValue(before, 'pushmesh_crypto_errors_total', { kind: 'decrypt' }) >= 2);
    assert.ok(metricValue(after, 'pushmesh_rejected_requests_total', { server: 'push', status: '413' }) >= 1);
    await assertStillServing('bad bodies');
  });

  it('the same push sent twice reaches apps once (duplicate suppression by sender key and ciphertext)', async () => {
    const body = JSON.stringify({ once: randomBytes(8).toString('hex') });
    const d = details(body);
    for (let i = 0; i < 2; i++) assert.equal((await post(d.headers, d.body!)).status, 201);
    await sse.waitForMessage((m) => JSON.stringify(m.data) === body);
    await assertStillServing('duplicate');
    assert.equal(sse.messages().filter((m) => JSON.stringify(m.data) === body).length, 1);
  });

  it('a pushmesh-shaped body from a plain sender is its payload on topic webpush: never a node\'s id, topic, system topic or receipt', async () => {
    const id = randomBytes(16).toString('base64url');
    const body = { id, topic: 'pushmesh.req', time: Date.now(), meta: { re: 'x' }, receipt: true, data: { method: 'GET', path: '/' } };
    const d = details(JSON.stringify(body));
    assert.equal((await post(d.headers, d.body!)).status, 201);
    const got = await sse.waitForMessage((m) => (m.data as { id?: string } | null)?.id === id);
    assert.equal(got.topic, 'webpush');
    assert.equal(got.from, '');
    assert.notEqual(got.id, id);
    assert.deepEqual(got.data, body);
    assert.equal(got['unverifiedSender'], vapid.publicKey);
    assert.deepEqual(got.meta, {});
  });

  it('peers.deny applies to /push: the key\'s node ID on the deny list gets 403, counted; off the list, 201 again', async () => {
    const denyFile = join(b.home, 'peers.deny');
    await writeFile(denyFile, `${senderId}\n`);
    await b.waitForLog((r) => r.msg === 'peer access lists loaded' && r['deny'] === 1);
    const d = details(JSON.stringify({ denied: true }));
    const res = await post(d.headers, d.body!);
    assert.equal(res.status, 403, res.body);
    assert.match(res.body, /deny list/);
    await rm(denyFile);
    await b.waitForLog((r) => r.msg === 'peer access lists loaded' && r['deny'] === 0);
    await assertStillServing('deny list removed');
  });
});

