import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { introduce, localUrl, startInProcessNode } from '../helpers/in-process-node.js';

/** A small HTTP service: echoes what it got; /slow never answers in time; /big answers 8 KiB. */
async function startEchoService(scope: { after(fn: () => unknown): void }): Promise<{ url: string; server: Server; calls: number }> {
  const state = { url: '', server: null as unknown as Server, calls: 0 };
  const server = createServer((req, res) => {
    state.calls++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/slow') return void setTimeout(() => res.end('late'), 5_000).unref();
      if (req.url === '/big') return void res.end(Buffer.alloc(8192, 0x61));
      res.writeHead(200, { 'content-type': 'application/json', 'x-echo': 'yes' });
      res.end(JSON.stringify({ method: req.method, url: req.url, from: req.headers['x-pushmesh-from'], type: req.headers['content-type'], body: Buffer.concat(chunks).toString() }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  scope.after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  state.server = server;
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

describe('request/response over the mesh (POST /req/<id>/<path>)', { timeout: 60_000 }, () => {
  let a: PushmeshNode;
  let b: PushmeshNode;
  let c: PushmeshNode;
  let service: Awaited<ReturnType<typeof startEchoService>>;
  const cleanups: (() => unknown)[] = [];
  const scope = { after: (fn: () => unknown) => cleanups.push(fn) };
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  before(async () => {
    service = await startEchoService(scope);
    a = await startInProcessNode(scope);
    c = await startInProcessNode(scope);
    b = await startInProcessNode(scope, { service: { target: `${service.url}/`, allow: [a.identity.id], timeoutMs: 1_500 } });
    await introduce(a, b);
    await introduce(c, b);
  });

  it('forwards the request to the service and returns its answer', async () => {
    const res = await fetch(`${localUrl(a)}/req/${b.identity.id}/echo/x?y=1`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-echo'), 'yes');
    assert.equal(res.headers.get('x-pushmesh-from'), b.identity.id);
    const echo = (await res.json()) as Record<string, string>;
    assert.deepEqual(echo, { method: 'POST', url: '/echo/x?y=1', from: a.identity.id, type: 'text/plain', body: 'hello' });
  });

  it('carries GET requests and binary bodies', async () => {
    const res = await fetch(`${localUrl(a)}/req/${b.identity.id}/q`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { method: string }).method, 'GET');
  });

  it('answers 403 to a sender that is not allow-listed, without calling the service', async () => {
    const before = service.calls;
    const res = await fetch(`${localUrl(c)}/req/${b.identity.id}/echo`, { method: 'POST', body: 'x' });
    assert.equal(res.status, 403);
    assert.match(res.headers.get('x-pushmesh-error') ?? '', /not allowed/);
    assert.equal(service.calls, before);
  });

  it('maps a service that does not answer in time to 504', async () => {
    const res = await fetch(`${localUrl(a)}/req/${b.identity.id}/slow`);
    assert.equal(res.status, 504);
    assert.match(res.headers.get('x-pushmesh-error') ?? '', /did not answer/);
  });

  it('maps an answer too large for one message to 502', async () => {
    const res = await fetch(`${localUrl(a)}/req/${b.identity.id}/big`);
    assert.equal(res.status, 502);
    assert.match(res.headers.get('x-pushmesh-error') ?? '', /does not fit/);
  });

  it('refuses a request too large for one message with 413', async () => {
    const res = await fetch(`${localUrl(a)}/req/${b.identity.id}/echo`, { method: 'POST', body: Buffer.alloc(4000, 0x62) });
    assert.equal(res.status, 413);
  });

  it('answers 404 for a node it has no card or route for', async () => {
    const res = await fetch(`${localUrl(c)}/req/${a.identity.id}/echo`);
    assert.equal(res.status, 404);
    const res2 = await fetch(`${localUrl(c)}/req/not-a-node/echo`);
    assert.equal(res2.status, 400);
  });

  it('answers 404 from a node that exposes no service', async () => {
    const d = await startInProcessNode(scope);
    await introduce(a, d);
    const res = await fetch(`${localUrl(a)}/req/${d.identity.id}/echo`, { headers: { 'x-pushmesh-timeout': '3000' } });
    assert.equal(res.status, 404);
    assert.match(res.headers.get('x-pushmesh-error') ?? '', /exposes no service/);
  });

  it('never shows request/response messages to apps, and refuses reserved topics from apps', async () => {
    const held = (await (await fetch(`${localUrl(b)}/msg`)).json()) as { messages: { topic: string }[] };
    assert.ok(held.messages.every((m) => !m.topic.startsWith('pushmesh.')), JSON.stringify(held.messages.map((m) => m.topic)));
    const res = await fetch(`${localUrl(a)}/msg/pushmesh.req?to=${b.identity.id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /reserved/);
  });
});

describe('request/response when the destination is down', { timeout: 30_000 }, () => {
  it('answers 504 after X-Pushmesh-Timeout', async (t) => {
    const a = await startInProcessNode(t);
    const b = await startInProcessNode(t);
    await introduce(a, b);
    await b.close();
    const t0 = Date.now();
    const res = await fetch(`${localUrl(a)}/req/${b.identity.id}/echo`, { headers: { 'x-pushmesh-timeout': '1000' } });
    assert.equal(res.status, 504);
    assert.ok(Date.now() - t0 >= 900);
    const body = (await res.json()) as { error: { code: string } };
    assert.equal(body.error.code, 'ERR_TIMEOUT');
  });
});
