import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { makeCard } from '../helpers/cards.js';
import { pushmeshOk } from '../helpers/cli.js';
import { startHttpServer } from '../helpers/http-server.js';
import { eventually, getJson, metrics, metricValue, postMessage } from '../helpers/local-api.js';
import { spawnNode, type NodeProcess } from '../helpers/node-process.js';
import { openSse } from '../helpers/sse.js';

/** The local API of a real node process, through real sockets: errors, streams, WebSocket, queue bounds. */
describe('local API of a running node', { timeout: 90_000 }, () => {
  let node: NodeProcess;
  /** A peer whose endpoint refuses connections: messages to it wait in the outbox. */
  let deadPeer: string;
  const cleanups: (() => unknown)[] = [];
  const scope = { after: (fn: () => unknown) => cleanups.push(fn) };

  before(async () => {
    node = await spawnNode({ scope, configYaml: 'limits:\n  subscriberBuffer: 8\n  maxQueuedMessages: 3\n' });
    const closed = await startHttpServer(() => undefined);
    await closed.close(); // its port now refuses connections
    const { card } = makeCard(closed.url.replace('http:', 'https:'));
    deadPeer = card.id;
    const file = `${node.home}.peer.json`;
    await writeFile(file, JSON.stringify(card));
    await pushmeshOk(['peer', 'add', file, '--home', node.home]);
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  const errorOf = (json: Record<string, unknown>) => json['error'] as { code: string; message: string };

  it('GET /id, /healthz, /peers, /metrics', async () => {
    const id = await getJson(`${node.local}/id`);
    assert.deepEqual(id.json, node.card);
    assert.equal(node.card.endpoint, `${node.https}/push/${node.id}`);
    const health = await getJson(`${node.local}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(health.json['state'], 'running');
    const peers = (await getJson(`${node.local}/peers`)).json['peers'] as { id: string }[];
    assert.ok(peers.some((p) => p.id === deadPeer));
    const res = await fetch(`${node.local}/metrics`);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    for (const name of ['pushmesh_messages_in_total', 'pushmesh_messages_out_total', 'pushmesh_messages_dropped_total', 'pushmesh_queue_depth', 'pushmesh_crypto_errors_total', 'pushmesh_delivery_latency_seconds_bucket']) {
      assert.match(text, new RegExp(`^${name}`, 'm'), name);
    }
  });

  it('POST /msg/<topic> without "to" goes to local subscribers; replay by since and Last-Event-ID', async (t) => {
    const t0 = Date.now();
    const sse = await openSse(`${node.local}/msg/here`, { scope: t });
    const sent = await postMessage(node.local, 'here', { urgency: 'low', ttl: 120 }, { local: true });
    assert.equal(sent.status, 202);
    assert.equal(sent.json['status'], 'local');
    const got = await sse.waitForMessage((m) => m.id === sent.json['id']);
    assert.equal(got.from, node.id);
    assert.equal(got.to, '');
    assert.equal(got.topic, 'here');
    assert.equal(got['urgency'], 'low');

    const second = await postMessage(node.local, 'here', {}, 2);
    const firstEventId = sse.events.find((e) => e.data.includes(String(sent.json['id'])))!.id!;
    await sse.waitForMessage((m) => m.id === second.json['id']);
    const replay = await openSse(`${node.local}/msg/here?since=${t0}`, { scope: t });
    await replay.waitForMessage((m) => m.id === second.json['id']);
    assert.deepEqual(replay.messages().map((m) => m.id), [sent.json['id'], second.json['id']]);
    const resume = await openSse(`${node.local}/msg/here`, { scope: t, headers: { 'last-event-id': firstEventId } });
    await resume.waitForMessage((m) => m.id === second.json['id']);
    assert.deepEqual(resume.messages().map((m) => m.id), [second.json['id']]);
    // Without Accept: text/event-stream, GET /msg/<topic> answers the held messages as JSON.
    const held = (await getJson(`${node.local}/msg/here`)).json['messages'] as { id: string }[];
    assert.ok(held.some((m) => m.id === second.json['id']));
  });

  it('bad requests get 4xx with a JSON error, and a good message still flows', async (t) => {
    const sse = await openSse(`${node.local}/msg/after-bad`, { scope: t });
    const cases: [string, Promise<{ status: number; json: Record<string, unknown> }>, number, string][] = [
      ['malformed JSON', postMessage(node.local, 't', {}, null, { raw: '{"a":' }), 400, 'ERR_BAD_ARGUMENT'],
      ['wrong content type', postMessage(node.local, 't', {}, null, { contentType: 'application/xml', raw: '<a/>' }), 415, 'ERR_UNSUPPORTED'],
      ['oversize body', postMessage(node.local, 't', {}, null, { contentType: 'text/plain', raw: 'x'.repeat(70_000) }), 413, 'ERR_PAYLOAD_TOO_LARGE'],
      ['too large for one Web Push body', postMessage(node.local, 't', { to: deadPeer }, 'y'.repeat(5000)), 413, 'ERR_PAYLOAD_TOO_LARGE'],
      ['bad "to"', postMessage(node.local, 't', { to: 'shortid' }, 1), 400, 'ERR_BAD_ARGUMENT'],
      ['bad ttl', postMessage(node.local, 't', { ttl: 'soon' }, 1), 400, 'ERR_BAD_ARGUMENT'],
      ['ttl over the limit', postMessage(node.local, 't', { ttl: 99_999_999 }, 1), 400, 'ERR_BAD_ARGUMENT'],
      ['bad urgency', postMessage(node.local, 't', { urgency: 'asap' }, 1), 400, 'ERR_BAD_ARGUMENT'],
      ['bad replace', postMessage(node.local, 't', { replace: 'has space' }, 1), 400, 'ERR_BAD_ARGUMENT'],
      ['bad topic', postMessage(node.local, 'a b', {}, 1), 400, 'ERR_BAD_ARGUMENT'],
    ];
    for (const [what, pending, status, code] of cases) {
      const res = await pending;
      assert.equal(res.status, status, `${what}: ${JSON.stringify(res.json)}`);
      assert.equal(errorOf(res.json).code, code, what);
      assert.ok(errorOf(res.json).message.length > 0);
    }
    const unknownRoute = await fetch(`${node.local}/nope`);
    assert.equal(unknownRoute.status, 404);
    assert.equal(errorOf((await unknownRoute.json()) as Record<string, unknown>).code, 'ERR_NOT_FOUND');
    const badSince = await fetch(`${node.local}/msg?since=yesterday`, { headers: { accept: 'text/event-stream' } });
    assert.equal(badSince.status, 400);

    const good = await postMessage(node.local, 'after-bad', {}, { fine: true });
    assert.equal(good.status, 202);
    await sse.waitForMessage((m) => m.id === good.json['id']);
  });

  it('GET /ws: messages in, sends out, bad frames answered with an error', async (t) => {
    const ws = new WebSocket(`${node.local.replace('http', 'ws')}/ws?topic=wstopic`);
    t.after(() => ws.terminate());
    const frames: Record<string, unknown>[] = [];
    const waiters: [(f: Record<string, unknown>) => boolean, (f: Record<string, unknown>) => void][] = [];
    ws.on('message', (raw) => {
      const f = JSON.parse(String(raw)) as Record<string, unknown>;
      frames.push(f);
      for (const [match, resolve] of waiters) if (match(f)) resolve(f);
    });
    const next = (match: (f: Record<string, unknown>) => boolean) =>
      new Promise<Record<string, unknown>>((resolve) => {
        const seen = frames.find(match);
        if (seen) resolve(seen);
        else waiters.push([match, resolve]);
      });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));

    ws.send(JSON.stringify({ type: 'send', ref: 1, topic: 'wstopic', data: { via: 'ws' } }));
    const sent = await next((f) => f['ref'] === 1);
    assert.equal(sent['type'], 'sent');
    assert.equal(sent['status'], 'local');
    const msg = await next((f) => f['type'] === 'message' && f['id'] === sent['id']);
    assert.deepEqual(msg['data'], { via: 'ws' });
    assert.equal(msg['from'], node.id);

    const posted = await postMessage(node.local, 'wstopic', {}, 'from http');
    assert.equal((await next((f) => f['id'] === posted.json['id']))['data'], 'from http');

    ws.send('{not json');
    ws.send(JSON.stringify({ type: 'send', ref: 2, topic: 'wstopic', to: 'bad', data: 1 }));
    ws.send(JSON.stringify({ type: 'send', ref: 3, topic: 'wstopic', to: 'c'.repeat(52), data: 1 }));
    const notJson = await next((f) => f['type'] === 'error' && f['ref'] === undefined);
    assert.equal((notJson['error'] as { code: string }).code, 'ERR_BAD_ARGUMENT');
    assert.equal(((await next((f) => f['ref'] === 2))['error'] as { code: string }).code, 'ERR_BAD_ARGUMENT');
    assert.equal(((await next((f) => f['ref'] === 3))['error'] as { code: string }).code, 'ERR_NOT_FOUND');
  });

  it('a slow SSE consumer is cut off with a reason; other apps are not affected', async (t) => {
    const healthy = await openSse(`${node.local}/msg/slow`, { scope: t });
    // A raw socket that asks for the stream, then stops reading.
    const url = new URL(node.local);
    const socket = connect(Number(url.port), url.hostname);
    t.after(() => socket.destroy());
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`GET /msg/slow HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n\r\n`);
    let received = '';
    socket.setEncoding('utf8');
    const onData = (chunk: string): void => {
      received += chunk;
      if (received.includes('pushmesh stream')) {
        socket.off('data', onData);
        socket.pause();
      }
    };
    socket.on('data', onData);
    await eventually(async () => received, (r) => r.includes('pushmesh stream'), 10_000, 'stream to open');

    const cut = node.waitForLog((r) => r.msg === 'local subscriber cut off: it fell too far behind', 60_000);
    let cutSeen = false;
    void cut.then(() => (cutSeen = true));
    const big = 'z'.repeat(60_000);
    let sentCount = 0;
    let lastId = '';
    while (!cutSeen && sentCount < 2000) {
      const res = await postMessage(node.local, 'slow', {}, null, { contentType: 'text/plain', raw: big });
      assert.equal(res.status, 202);
      lastId = String(res.json['id']);
      sentCount++;
    }
    await cut;
    // The healthy subscriber got everything.
    await healthy.waitForMessage((m) => m.id === lastId);
    assert.equal(healthy.messages().length, sentCount);

    // The slow one, once it reads again, finds the reason and the end of the stream.
    const ended = new Promise((resolve) => socket.once('end', resolve).once('close', resolve));
    socket.on('data', (chunk: string) => (received += chunk));
    socket.resume();
    await ended;
    assert.match(received, /event: end\ndata: \{"reason":"slow consumer"\}/);
    assert.ok(metricValue(await metrics(node.local), 'pushmesh_local_subscribers_cut_total', { reason: 'slow_consumer' }) >= 1);
  });

  it('a slow WebSocket consumer is closed with code 4008 "slow consumer"', async (t) => {
    const cutsBefore = node.logs.filter((r) => r.msg === 'local subscriber cut off: it fell too far behind').length;
    const ws = new WebSocket(`${node.local.replace('http', 'ws')}/ws?topic=slowws`);
    t.after(() => ws.terminate());
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise<[number, string]>((resolve) => ws.once('close', (code, reason) => resolve([code, String(reason)])));
    ws.pause(); // stop reading the socket
    const big = 'w'.repeat(60_000);
    let sentCount = 0;
    const cutCount = () => node.logs.filter((r) => r.msg === 'local subscriber cut off: it fell too far behind').length;
    while (cutCount() === cutsBefore && sentCount < 2000) {
      assert.equal((await postMessage(node.local, 'slowws', {}, null, { contentType: 'text/plain', raw: big })).status, 202);
      sentCount++;
    }
    await node.waitForLog(() => cutCount() > cutsBefore, 30_000);
    ws.resume();
    assert.deepEqual(await closed, [4008, 'slow consumer']);
  });

  it('messages for a node that is down wait within their TTL, expire (counted), and the queue is bounded', async () => {
    const before = await metrics(node.local);
    const shortLived = await postMessage(node.local, 'later', { to: deadPeer, ttl: 1 }, { short: true });
    assert.equal(shortLived.status, 202);
    assert.equal(shortLived.json['status'], 'queued');
    const afterExpiry = await eventually(
      () => metrics(node.local),
      (text) => metricValue(text, 'pushmesh_messages_dropped_total', { reason: 'expired' }) > metricValue(before, 'pushmesh_messages_dropped_total', { reason: 'expired' }),
      30_000,
      'the expired message to be counted',
    );
    assert.equal(metricValue(afterExpiry, 'pushmesh_queue_depth'), 0);

    for (let i = 0; i < 3; i++) assert.equal((await postMessage(node.local, 'later', { to: deadPeer }, { i })).status, 202);
    const full = await postMessage(node.local, 'later', { to: deadPeer }, { i: 3 });
    assert.equal(full.status, 503);
    assert.equal(errorOf(full.json).code, 'ERR_QUEUE_FULL');
    const text = await metrics(node.local);
    assert.equal(metricValue(text, 'pushmesh_queue_depth'), 3);
    assert.ok(metricValue(text, 'pushmesh_messages_dropped_total', { reason: 'queue_full' }) >= 1);
    const peers = (await getJson(`${node.local}/peers`)).json['peers'] as { id: string; queued: number }[];
    assert.equal(peers.find((p) => p.id === deadPeer)!.queued, 3);
    // Local delivery does not depend on the outbox.
    assert.equal((await postMessage(node.local, 'here', {}, 'still fine')).status, 202);
  });
});
