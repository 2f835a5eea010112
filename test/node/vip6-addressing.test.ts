import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { Message } from '../../src/message/types.js';
import type { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { vip6FromPublicKey } from '../../src/identity/node-id.js';
import { makeCard } from '../helpers/cards.js';
import { introduce, localUrl, startInProcessNode } from '../helpers/in-process-node.js';
import { fromBase64Url } from '../../src/util/base64url.js';

/** The full (uncompressed, 8-group) text form of an IPv6 address. */
const fullForm = (text: string): string => {
  const host = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const [head = '', tail = ''] = host.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = host.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups.map((g) => g.padStart(4, '0')).join(':');
};

async function post(url: string, body: unknown, type = 'application/json'): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('VIP6 addressing: a node named by fd00::/64 + the last 8 bytes of its key', { timeout: 60_000 }, () => {
  let a: PushmeshNode;
  let b: PushmeshNode;
  let service = '';
  const cleanups: (() => unknown)[] = [];
  const scope = { after: (fn: () => unknown) => cleanups.push(fn) };
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  before(async () => {
    const server = createServer((req, res) => res.end(JSON.stringify({ url: req.url, from: req.headers['x-pushmesh-from'] })));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    scope.after(() => new Promise<void>((r) => server.close(() => r())));
    service = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    a = await startInProcessNode(scope);
    b = await startInProcessNode(scope, { service: { target: service, allow: [a.identity.id], timeoutMs: 5_000 } });
    await introduce(a, b);
  });

  /** The next `n` messages B's apps get on `topic`. */
  async function receivedAtB(topic: string, n: number, send: () => Promise<void>): Promise<Message[]> {
    const sub = b.bus.subscribe(topic);
    try {
      await send();
      const got: Message[] = [];
      while (got.length < n) {
        const next = await sub.next();
        assert.ok(!next.done, 'stream ended');
        got.push(next.value.message);
      }
      return got;
    } finally {
      sub.end();
    }
  }

  it("GET /id shows the node's VIP6 next to its card", async () => {
    const id = (await (await fetch(`${localUrl(b)}/id`)).json()) as Record<string, unknown>;
    assert.equal(id['vip6'], b.identity.vip6);
    assert.equal(id['vip6'], vip6FromPublicKey(fromBase64Url((id['keys'] as { p256dh: string }).p256dh)));
    assert.match(String(id['vip6']), /^fd00::/);
  });

  it("A sends to B by B's VIP6 (compressed, full and bracketed forms): B receives it from A", async () => {
    const forms = [b.identity.vip6, fullForm(b.identity.vip6), `[${b.identity.vip6}]`, b.identity.vip6.toUpperCase()];
    const ids: string[] = [];
    const got = await receivedAtB('by-vip6', forms.length, async () => {
      for (const form of forms) {
        const sent = await post(`${localUrl(a)}/msg/by-vip6?to=${encodeURIComponent(form)}`, { form });
        assert.equal(sent.status, 202, JSON.stringify(sent.json));
        assert.equal(sent.json['status'], 'queued');
        ids.push(String(sent.json['id']));
      }
    });
    assert.deepEqual(new Set(got.map((m) => m.id)), new Set(ids));
    for (const m of got) {
      assert.equal(m.from, a.identity.id);
      assert.equal(m.to, b.identity.id);
    }
    const status = (await (await fetch(`${localUrl(a)}/msg/status/${ids[0]}`)).json()) as Record<string, unknown>;
    assert.equal(status['to'], b.identity.id, 'the status names the node ID the VIP6 resolved to');
  });

  it('POST /msgs and WebSocket send frames take VIP6 in "to", in order with node IDs', async () => {
    const items = [0, 1, 2, 3].map((n) => ({ topic: 'batch-vip6', to: n % 2 === 0 ? b.identity.vip6 : b.identity.id, data: { n } }));
    const got = await receivedAtB('batch-vip6', 4, async () => {
      const res = await post(`${localUrl(a)}/msgs`, items);
      assert.equal(res.status, 202);
      for (const r of res.json['results'] as Record<string, unknown>[]) assert.equal(r['status'], 'queued', JSON.stringify(r));
    });
    assert.deepEqual(got.map((m) => (m.data as { value: { n: number } }).value.n), [0, 1, 2, 3]);

    const ws = new WebSocket(`${localUrl(a).replace('http', 'ws')}/ws?topic=none`);
    scope.after(() => ws.terminate());
    await once(ws, 'open');
    const answers: Record<string, unknown>[] = [];
    ws.on('message', (t) => answers.push(JSON.parse(String(t)) as Record<string, unknown>));
    const wsGot = await receivedAtB('ws-vip6', 2, async () => {
      ws.send(JSON.stringify({ type: 'send', ref: 1, topic: 'ws-vip6', to: b.identity.vip6, data: 'v6' }));
      ws.send(JSON.stringify({ type: 'send', ref: 2, topic: 'ws-vip6', to: b.identity.id, data: 'id' }));
      ws.send(JSON.stringify({ type: 'send', ref: 3, topic: 'ws-vip6', to: 'fd00::1', data: 'nobody' }));
    });
    assert.deepEqual(wsGot.map((m) => (m.data as { value: string }).value), ['v6', 'id']);
    while (answers.length < 3) await once(ws, 'message');
    assert.deepEqual(answers.map((x) => [x['ref'], x['type']]), [[1, 'sent'], [2, 'sent'], [3, 'error']]);
    assert.equal((answers[2]!['error'] as { code: string }).code, 'ERR_NOT_FOUND');
  });

  it('its own VIP6 is this node: local delivery', async () => {
    const sent = await post(`${localUrl(a)}/msg/self?to=${encodeURIComponent(a.identity.vip6)}`, 1);
    assert.equal(sent.status, 202);
    assert.equal(sent.json['status'], 'local');
  });

  it('an unknown VIP6 is 404 with the reason; a malformed one, or one outside fd00::/64, is 400', async () => {
    const stranger = vip6FromPublicKey(fromBase64Url(makeCard().card.keys.p256dh));
    const unknown = await post(`${localUrl(a)}/msg/x?to=${encodeURIComponent(stranger)}`, 1);
    assert.equal(unknown.status, 404);
    assert.equal((unknown.json['error'] as { code: string }).code, 'ERR_NOT_FOUND');
    assert.match((unknown.json['error'] as { message: string }).message, /no known node has the VIP6 address fd00::.*peer add/);
    for (const bad of ['fd00::zz', 'fd00:::1', '[fd00::1', 'fe80::1', 'fd00::1%eth0', 'fd00:0:0:1::1']) {
      const r = await post(`${localUrl(a)}/msg/x?to=${encodeURIComponent(bad)}`, 1);
      assert.equal(r.status, 400, bad);
      assert.equal((r.json['error'] as { code: string }).code, 'ERR_BAD_ARGUMENT');
      assert.match((r.json['error'] as { message: string }).message, /^"to": .* is not a VIP6 address: /, bad);
    }
    const via = await post(`${localUrl(a)}/msg/x?to=${b.identity.id}&via=${encodeURIComponent(stranger)}`, 1);
    assert.equal(via.status, 404);
    const twice = await post(`${localUrl(a)}/msg/x?to=${b.identity.id}&via=${encodeURIComponent(`${b.identity.vip6},${b.identity.id}`)}`, 1);
    assert.equal(twice.status, 400);
    assert.match((twice.json['error'] as { message: string }).message, /names a node twice/);
  });

  it('/req/<VIP6>/… calls the service of the node with that address', async () => {
    const res = await fetch(`${localUrl(a)}/req/${b.identity.vip6}/hello`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-pushmesh-from'), b.identity.id);
    assert.deepEqual(await res.json(), { url: '/hello', from: a.identity.id });
    const unknown = await fetch(`${localUrl(a)}/req/fd00::1/hello`);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'ERR_NOT_FOUND');
  });
});
