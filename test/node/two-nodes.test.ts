import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { pushmeshOk, runPushmesh } from '../helpers/cli.js';
import { eventually, getJson, metrics, metricValue, postMessage } from '../helpers/local-api.js';
import { spawnNode, type NodeProcess } from '../helpers/node-process.js';
import { openSse } from '../helpers/sse.js';

/** Two real `pushmesh run` processes on 127.0.0.1, each with its own home and ports. */
describe('two nodes: local API → HTTPS Web Push → local API', { timeout: 90_000 }, () => {
  let a: NodeProcess;
  let b: NodeProcess;
  const cleanups: (() => unknown)[] = [];
  const scope = { after: (fn: () => unknown) => cleanups.push(fn) };

  before(async () => {
    [a, b] = await Promise.all([spawnNode({ scope }), spawnNode({ scope })]);
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  it('peer add learns cards from GET /id over the local http URL and over https with the self-signed cert', async () => {
    assert.equal(await pushmeshOk(['peer', 'add', `${b.local}/id`, '--home', a.home]), b.id);
    assert.equal(await pushmeshOk(['peer', 'add', b.https!, '--home', a.home, '--id', b.id]), b.id);
    assert.equal(await pushmeshOk(['peer', 'add', `${a.https!}/id`, '--home', b.home]), a.id);
    const listed = await pushmeshOk(['peer', 'list', '--home', a.home]);
    assert.equal(listed, `${b.id} ${b.card.endpoint}`);
    // A's HTTPS port serves A's card: asking it for another ID fails on the ID check.
    const wrong = await runPushmesh(['peer', 'add', a.https!, '--home', b.home, '--id', b.id]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^pushmesh: card from .* has node ID \w+, not \w+\n$/);
  });

  it("A's POST /msg/<topic>?to=B reaches B's SSE with the right from, to, topic and data", async (t) => {
    const onTopic = await openSse(`${b.local}/msg/chat`, { scope: t });
    const onAll = await openSse(`${b.local}/msg`, { scope: t });
    assert.equal(onTopic.status, 200);
    assert.match(String(onTopic.headers['content-type']), /^text\/event-stream/);

    const data = { text: 'hello B', n: 1, nested: { ok: true } };
    const sent = await postMessage(a.local, 'chat', { to: b.id }, data);
    assert.equal(sent.status, 202, JSON.stringify(sent.json));
    assert.equal(sent.json['status'], 'queued');
    const id = String(sent.json['id']);
    assert.match(id, /^[A-Za-z0-9_-]{22}$/);

    const got = await onTopic.waitForMessage((m) => m.id === id);
    assert.equal(got.from, a.id);
    assert.equal(got.to, b.id);
    assert.equal(got.topic, 'chat');
    assert.deepEqual(got.data, data);
    const event = onTopic.events.find((e) => e.data.includes(id))!;
    assert.match(event.id ?? '', /^\d+$/, 'each event has an id: line');
    assert.equal((await onAll.waitForMessage((m) => m.id === id)).from, a.id);

    // Text and bytes payloads keep their kind end to end.
    const text = await postMessage(a.local, 'chat', { to: b.id }, null, { contentType: 'text/plain', raw: 'plain words' });
    const bytes = await postMessage(a.local, 'chat', { to: b.id }, null, { contentType: 'application/octet-stream', raw: Buffer.from([0, 1, 254, 255]) });
    const gotText = await onTopic.waitForMessage((m) => m.id === text.json['id']);
    assert.equal(gotText.data, 'plain words');
    const gotBytes = await onTopic.waitForMessage((m) => m.id === bytes.json['id']);
    assert.equal(gotBytes['encoding'], 'base64');
    assert.equal(gotBytes.data, 'AAH+/w==');
  });

  it('B answers A too (both directions), and GET /peers counts the traffic', async (t) => {
    const onA = await openSse(`${a.local}/msg/reply`, { scope: t });
    const sent = await postMessage(b.local, 'reply', { to: a.id, ttl: 60, urgency: 'high' }, ['x']);
    assert.equal(sent.status, 202);
    const got = await onA.waitForMessage((m) => m.id === sent.json['id']);
    assert.equal(got.from, b.id);
    assert.equal(got['urgency'], 'high');

    const peers = (await getJson(`${a.local}/peers`)).json['peers'] as { id: string; sent: number; received: number; endpoint: string }[];
    const peerB = peers.find((p) => p.id === b.id)!;
    assert.ok(peerB.sent >= 3, JSON.stringify(peerB));
    assert.ok(peerB.received >= 1, JSON.stringify(peerB));
    assert.equal(peerB.endpoint, b.card.endpoint);
  });

  it("a card whose endpoint is served by another node's certificate gets nothing delivered", async () => {
    // C holds B's real keys but an endpoint that A serves: TLS shows A's key, not B's, so C must not send there.
    const c = await spawnNode({ scope, args: ['--log-level', 'debug'] });
    const forged = { ...b.card, endpoint: `${a.https!}/push/${b.id}` };
    const file = `${c.home}.forged.json`;
    await writeFile(file, JSON.stringify(forged));
    await pushmeshOk(['peer', 'add', file, '--home', c.home]);
    const sent = await postMessage(c.local, 'chat', { to: b.id, ttl: 60 }, { forged: true });
    assert.equal(sent.status, 202);
    const retry = await c.waitForLog((r) => r.msg === 'delivery failed; will retry' && r['msg_id'] === sent.json['id']);
    assert.match(String(retry['reason']), new RegExp(`endpoint certificate is not node ${b.id.slice(0, 12)}`));
    assert.equal(metricValue(await metrics(c.local), 'pushmesh_queue_depth'), 1, 'still queued, not refused by A nor delivered');
    assert.equal(metricValue(await metrics(a.local), 'pushmesh_rejected_requests_total', { server: 'push', status: '404' }), 0, 'nothing reached A');
    assert.deepEqual(await c.stop(), { code: 0, signal: null });
  });

  it('an unknown destination is 404 with a reason, and counted', async () => {
    const unknown = 'a'.repeat(52);
    const res = await postMessage(a.local, 'chat', { to: unknown }, { x: 1 });
    assert.equal(res.status, 404);
    const err = res.json['error'] as { code: string; message: string };
    assert.equal(err.code, 'ERR_NOT_FOUND');
    assert.match(err.message, /no card for node a{52}.*peer add/);
    assert.ok(metricValue(await metrics(a.local), 'pushmesh_messages_dropped_total', { reason: 'no_route' }) >= 1);
  });

  it('/metrics shows the counters moving on both sides', async () => {
    const beforeA = await metrics(a.local);
    const beforeB = await metrics(b.local);
    const onB = await openSse(`${b.local}/msg/count`);
    const n = 5;
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(String((await postMessage(a.local, 'count', { to: b.id }, { i })).json['id']));
    for (const id of ids) await onB.waitForMessage((m) => m.id === id);
    onB.close();
    const afterB = await metrics(b.local);
    const delta = (before: string, after: string, name: string, labels: Record<string, string>) =>
      metricValue(after, name, labels) - metricValue(before, name, labels);
    assert.ok(delta(beforeB, afterB, 'pushmesh_messages_in_total', { via: 'https' }) >= n);
    assert.ok(delta(beforeB, afterB, 'pushmesh_messages_out_total', { via: 'local' }) >= n);
    // A counts a delivery when B's 201 came back, which may be just after B's SSE saw the message.
    const afterA = await eventually(
      () => metrics(a.local),
      (text) => delta(beforeA, text, 'pushmesh_messages_out_total', { via: 'https' }) >= n,
      20_000,
      'deliveries counted on A',
    );
    assert.ok(delta(beforeA, afterA, 'pushmesh_messages_in_total', { via: 'local' }) >= n);
    assert.ok(delta(beforeA, afterA, 'pushmesh_delivery_latency_seconds_count', {}) >= n);
    assert.equal(metricValue(afterA, 'pushmesh_queue_depth'), 0);
    const health = await getJson(`${a.local}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(health.json['ok'], true);
    assert.equal(health.json['id'], a.id);
  });
});
