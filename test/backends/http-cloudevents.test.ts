import { strict as assert } from 'node:assert';
import type { IncomingMessage } from 'node:http';
import { after, describe, it } from 'node:test';
import type { AppMessageJson } from '../../src/local-api/app-json.js';
import { startHttpServer } from '../helpers/http-server.js';
import { tempHome } from '../helpers/temp-dir.js';
import { startTestNode, type TestNode } from './support/node.js';
import { openSse, type SseClient } from '../helpers/sse.js';

interface SinkRequest {
  at: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** Requests a test sink received, and a way to wait for the n-th. */
class SinkLog {
  readonly requests: SinkRequest[] = [];
  readonly #waiters = new Set<() => void>();

  add(r: SinkRequest): void {
    this.requests.push(r);
    for (const w of [...this.#waiters]) w();
  }

  until(n: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.requests.length < n) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`sink got ${this.requests.length} of ${n} requests within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }
}

describe('HTTP CloudEvents: POST /ce in, webhook sinks out', { timeout: 60_000 }, () => {
  const nodes: TestNode[] = [];
  const sses: SseClient[] = [];
  after(async () => {
    for (const c of sses) c.close();
    for (const n of nodes) await n.stop();
  });
  const start = async (t: { after(fn: () => unknown): void }, configure?: Parameters<typeof startTestNode>[1]): Promise<TestNode> => {
    const n = await startTestNode(await tempHome(t), configure);
    nodes.push(n);
    return n;
  };
  const sse = async (url: string): Promise<SseClient> => {
    const c = await openSse(url);
    sses.push(c);
    return c;
  };

  it('binary mode: ce- headers (percent-encoded), the body as data, reach the local app', async (t) => {
    const n = await start(t);
    const app = await sse(`${n.api}/msg/com.example.order.created`);
    const time = new Date(Math.floor(Date.now() / 1000) * 1000 - 5000).toISOString();
    const res = await fetch(`${n.api}/ce`, {
      method: 'POST',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': 'order-1001',
        'ce-source': 'https://shop.example.com/orders',
        'ce-type': 'com.example.order.created',
        'ce-time': time,
        'ce-subject': 'orders/1001',
        'ce-pushmeshurgency': 'high',
        'ce-pushmeshttl': '3600',
        'ce-customer': 'Jos%C3%A9%20Garc%C3%ADa',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ total: 99.5 }),
    });
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { id: 'order-1001', status: 'accepted' });
    const [m] = await app.waitForMessages<AppMessageJson>(1, 10_000);
    assert.equal(m!.id, 'order-1001');
    assert.equal(m!.from, n.node.identity.id);
    assert.equal(m!.to, '');
    assert.equal(m!.topic, 'com.example.order.created');
    assert.equal(m!.time, Date.parse(time));
    assert.equal(m!.ttl, 3600);
    assert.equal(m!.urgency, 'high');
    assert.deepEqual(m!.data, { total: 99.5 });
    assert.deepEqual(m!.meta, { 'ce-source': 'https://shop.example.com/orders', 'ce-subject': 'orders/1001', customer: 'José García' });

    // Past its TTL (time + pushmeshttl): taken, not delivered.
    const old = await fetch(`${n.api}/ce`, {
      method: 'POST',
      headers: { 'ce-specversion': '1.0', 'ce-id': 'order-1', 'ce-source': '/o', 'ce-type': 'com.example.order.created', 'ce-time': '2024-06-01T12:00:00Z', 'ce-pushmeshttl': '3600' },
    });
    assert.equal(old.status, 202);
    assert.deepEqual(await old.json(), { status: 'ignored', reason: 'expired' });
  });

  it('structured mode: application/cloudevents+json with data or data_base64', async (t) => {
    const n = await start(t);
    const app = await sse(`${n.api}/msg`);
    const post = (ev: unknown): Promise<Response> =>
      fetch(`${n.api}/ce`, { method: 'POST', headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' }, body: JSON.stringify(ev) });
    const r1 = await post({ specversion: '1.0', id: 'a-1', source: '/sensors/7', type: 'reading', datacontenttype: 'application/json', data: { t: 20 } });
    const r2 = await post({ specversion: '1.0', id: 'a-2', source: '/sensors/7', type: 'image', datacontenttype: 'image/png', data_base64: 'iVBORw0KGgo=' });
    const r3 = await post({ specversion: '1.0', id: 'a 3/not-an-id', source: '/sensors/7', type: 'note', data: 'hello', datacontenttype: 'text/plain; charset=utf-8' });
    assert.deepEqual([r1.status, r2.status, r3.status], [202, 202, 202]);
    const derived = ((await r3.json()) as { id: string }).id;
    assert.match(derived, /^[A-Za-z0-9_-]{22}$/);
    const got = await app.waitForMessages<AppMessageJson>(3, 10_000);
    const byTopic = Object.fromEntries(got.map((m) => [m.topic, m]));
    assert.deepEqual(byTopic['reading']!.data, { t: 20 });
    assert.equal(byTopic['image']!.encoding, 'base64');
    assert.equal(byTopic['image']!.data, 'iVBORw0KGgo=');
    assert.equal(byTopic['image']!.meta['ce-datacontenttype'], 'image/png');
    assert.equal(byTopic['note']!.data, 'hello');
    assert.equal(byTopic['note']!.id, derived);
    assert.equal(byTopic['note']!.meta['ce-id'], 'a 3/not-an-id');

    // The same event again is a duplicate: accepted, not delivered twice.
    const again = await post({ specversion: '1.0', id: 'a-1', source: '/sensors/7', type: 'reading', data: { t: 20 } });
    assert.deepEqual(await again.json(), { id: 'a-1', status: 'duplicate' });
  });

  it('invalid events are refused with 400 and the SDK\'s validation reason; the node keeps working', async (t) => {
    const n = await start(t);
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ 'content-type': 'application/cloudevents+json' }, JSON.stringify({ specversion: '1.0', source: '/x', type: 't' }), /must have required property 'id'/],
      [{ 'content-type': 'application/cloudevents+json' }, JSON.stringify({ specversion: '1.0', id: '1', source: '/x', type: 't', time: 'noon' }), /time must match format "date-time"/],
      [{ 'content-type': 'application/cloudevents+json' }, JSON.stringify({ specversion: '1.0', id: '1', source: '/x', type: 't', 'Bad-Ext': 'x' }), /invalid attribute name: "Bad-Ext"/],
      [{ 'content-type': 'application/cloudevents+json' }, JSON.stringify({ specversion: '0.3', id: '1', source: '/x', type: 't' }), /specversion "0.3" is not supported/],
      [{ 'content-type': 'application/cloudevents+json' }, '{"specversion":', /not UTF-8 JSON/],
      [{ 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/x', 'content-type': 'application/json' }, '{}', /must have required property 'type'/],
      [{ 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/x', 'ce-type': 't', 'ce-pushmeshttl': 'soon' }, '', /pushmeshttl must be whole seconds/],
      [{ 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/x', 'ce-type': 't', 'content-type': 'application/json' }, '{not json', /data is not UTF-8 JSON/],
      [{ 'content-type': 'application/json' }, '{}', /no CloudEvent in the request/],
    ];
    for (const [headers, body, reason] of cases) {
      const res = await fetch(`${n.api}/ce`, { method: 'POST', headers, body });
      const json = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(res.status, 400, `${body}: ${JSON.stringify(json)}`);
      assert.equal(json.error.code, 'ERR_BAD_EVENT');
      assert.match(json.error.message, reason);
    }
    const batch = await fetch(`${n.api}/ce`, { method: 'POST', headers: { 'content-type': 'application/cloudevents-batch+json' }, body: '[]' });
    assert.equal(batch.status, 415);
    const ok = await fetch(`${n.api}/ce`, { method: 'POST', headers: { 'ce-specversion': '1.0', 'ce-id': 'fine', 'ce-source': '/x', 'ce-type': 't' } });
    assert.equal(ok.status, 202);
  });

  it('a subject that is a node ID is kept in meta, never followed (no routing loops through a backend)', async (t) => {
    const n = await start(t);
    const app = await sse(`${n.api}/msg/t`);
    const other = 'a'.repeat(52);
    const res = await fetch(`${n.api}/ce`, {
      method: 'POST',
      headers: { 'ce-specversion': '1.0', 'ce-id': 'x1', 'ce-source': '/x', 'ce-type': 't', 'ce-subject': other, 'content-type': 'application/json' },
      body: '1',
    });
    assert.equal(res.status, 202);
    const [m] = await app.waitForMessages<AppMessageJson>(1, 10_000);
    assert.equal(m!.to, '');
    assert.equal(m!.meta['ce-subject'], other);
  });

  it('webhook sink: gets binary-mode events; on 503 it retries with growing backoff, then succeeds', async (t) => {
    const log = new SinkLog();
    const requests = log.requests;
    let failuresLeft = 3;
    const sink = await startHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (failuresLeft-- > 0) res.writeHead(503).end('busy');
        else res.writeHead(204).end();
        log.add({ at: performance.now(), headers: req.headers, body: Buffer.concat(chunks) });
      });
    }, t);
    const n = await start(t, (c) => {
      c.backends.webhooks = [{ name: 'audit', url: `${sink.url}/hook`, contentMode: 'binary', headers: { authorization: 'Bearer s3cret' }, timeoutMs: 5000, maxAttempts: 6, initialBackoffMs: 100, maxBackoffMs: 5000, concurrency: 1 }];
      c.backends.bridges = [{ topics: 'audit.*', to: 'audit', mode: 'plaintext' }];
    });
    const { id } = await n.send('audit.login', { user: 'ana' });
    await log.until(4, 20_000);
    assert.equal(requests.length, 4, 'three 503 answers, then success');
    for (const r of requests) {
      assert.equal(r.headers['ce-id'], id);
      assert.equal(r.headers['ce-type'], 'audit.login');
      assert.equal(r.headers['ce-specversion'], '1.0');
      assert.equal(r.headers['ce-source'], `pushmesh://${n.node.identity.id}`);
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['authorization'], 'Bearer s3cret');
      assert.deepEqual(JSON.parse(r.body.toString()), { user: 'ana' });
    }
    const gaps = requests.slice(1).map((r, i) => r.at - requests[i]!.at);
    // 100 ms, 200 ms, 400 ms (±20 % jitter): each wait at least the backoff, and growing.
    assert.ok(gaps[0]! >= 75, `first gap ${gaps[0]}`);
    assert.ok(gaps[1]! >= 155 && gaps[1]! > gaps[0]! * 1.2, `gaps ${gaps}`);
    assert.ok(gaps[2]! >= 315 && gaps[2]! > gaps[1]! * 1.2, `gaps ${gaps}`);
    const metrics = await (await fetch(`${n.api}/metrics`)).text();
    assert.match(metrics, /pushmesh_backend_events_total\{backend="audit",direction="out",result="retry"\} 3/);
    assert.match(metrics, /pushmesh_backend_events_total\{backend="audit",direction="out",result="published"\} 1/);
  });

  it('webhook sink in structured mode; a 400 answer is final (no retry)', async (t) => {
    const log = new SinkLog();
    const requests = log.requests;
    const sink = await startHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(requests.length === 0 ? 400 : 200).end();
        log.add({ at: performance.now(), headers: req.headers, body: Buffer.concat(chunks) });
      });
    }, t);
    const n = await start(t, (c) => {
      c.backends.webhooks = [{ name: 's', url: sink.url, contentMode: 'structured', headers: {}, timeoutMs: 5000, maxAttempts: 5, initialBackoffMs: 50, maxBackoffMs: 1000, concurrency: 1 }];
      c.backends.bridges = [{ topics: 'st', to: 's', mode: 'plaintext' }];
    });
    await n.send('st', { first: true });
    const { id } = await n.send('st', { second: true });
    await log.until(2, 10_000);
    assert.equal(requests.length, 2, 'the refused event is not retried; the next one follows');
    assert.deepEqual(JSON.parse(requests[0]!.body.toString()).data, { first: true });
    assert.equal(requests[1]!.headers['content-type'], 'application/cloudevents+json; charset=utf-8');
    const ev = JSON.parse(requests[1]!.body.toString()) as Record<string, unknown>;
    assert.equal(ev['id'], id);
    assert.deepEqual(ev['data'], { second: true });
  });
});
