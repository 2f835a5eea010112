import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { introduce, localUrl, startInProcessNode } from '../helpers/in-process-node.js';
import { rawHttp, startRecordingService, type RecordingService } from '../rpc/services.js';

const PAGE = '<!doctype html><title>welcome</title><script>fetch("/msg/x", {method: "POST", body: "{}"})</script>';

/**
 * Issue 12, "the local API's origin stays ours": /req answers cannot act
 * in the local API's origin, and no request a browser sends for another
 * site's page (or as a navigation) calls a remote service, sends, or
 * marks a message consumed (which would send its receipt).
 */
describe('/req answers and browser requests on the local API', { timeout: 120_000 }, () => {
  let a: PushmeshNode; // the user's node (serves /req answers inline for image/png when asked)
  let b: PushmeshNode; // exposes the service
  let c: PushmeshNode; // sends A messages with receipts
  let service: RecordingService;
  let aPort: number;
  const cleanups: (() => unknown)[] = [];
  const scope = { after: (fn: () => unknown) => cleanups.push(fn) };
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  before(async () => {
    service = await startRecordingService(scope, (req, res) => {
      if (req.url === '/welcome.html') {
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'set-cookie': 'session=stolen; Path=/',
          'access-control-allow-origin': '*',
          'access-control-allow-credentials': 'true',
          'content-security-policy': "script-src 'unsafe-inline'",
          'clear-site-data': '"*"',
          'alt-svc': 'h2=":443"',
          link: '</evil.js>; rel=preload; as=script',
          'x-frame-options': 'ALLOWALL',
          'x-echo': 'kept',
          'cache-control': 'no-store',
        });
        return void res.end(PAGE);
      }
      if (req.url === '/pic.png') {
        res.writeHead(200, { 'content-type': 'image/png' });
        return void res.end(Buffer.from('89504e470d0a1a0a', 'hex'));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url }));
    });
    a = await startInProcessNode(scope, { reqInlineTypes: ['image/png'] });
    c = await startInProcessNode(scope);
    b = await startInProcessNode(scope, { service: { target: service.url, allow: [a.identity.id], timeoutMs: 5_000 } });
    await introduce(a, b);
    await introduce(c, a);
    aPort = a.addresses.local.port;
  });

  const req = (path: string, init: RequestInit = {}) => fetch(`${localUrl(a)}/req/${b.identity.id}${path}`, init);

  it('an answer is a sandboxed, non-sniffed attachment; headers that act on our origin are dropped', async () => {
    const res = await req('/welcome.html');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), PAGE);
    const h = res.headers;
    assert.equal(h.get('content-security-policy'), "sandbox; default-src 'none'; frame-ancestors 'none'");
    assert.equal(h.get('x-content-type-options'), 'nosniff');
    assert.equal(h.get('content-disposition'), 'attachment');
    assert.equal(h.get('cross-origin-resource-policy'), 'same-origin');
    assert.equal(h.get('content-type'), 'text/html; charset=utf-8');
    for (const dropped of ['set-cookie', 'access-control-allow-origin', 'access-control-allow-credentials', 'clear-site-data', 'alt-svc', 'link', 'x-frame-options']) {
      assert.equal(h.get(dropped), null, dropped);
    }
    assert.equal(h.get('x-echo'), 'kept');
    assert.equal(h.get('cache-control'), 'no-store');
    assert.equal(h.get('x-pushmesh-from'), b.identity.id);
  });

  it('inline only when the caller asks and the type is allowed by configuration', async () => {
    const inline = { 'x-pushmesh-disposition': 'inline' };
    assert.equal((await req('/pic.png', { headers: inline })).headers.get('content-disposition'), null);
    assert.equal((await req('/pic.png')).headers.get('content-disposition'), 'attachment', 'not asked');
    const html = await req('/welcome.html', { headers: inline });
    assert.equal(html.headers.get('content-disposition'), 'attachment', 'text/html is not allowed inline');
    assert.match(html.headers.get('content-security-policy') ?? '', /^sandbox;/);
    // A node with the default (no inline types) never serves inline.
    const res = await fetch(`${localUrl(c)}/req/${b.identity.id}/pic.png`, { headers: { ...inline, 'x-pushmesh-timeout': '5000' } });
    assert.equal(res.headers.get('content-disposition'), 'attachment');
  });

  it('refusals and errors on /req carry the same headers', async () => {
    const res = await rawHttp(aPort, 'GET', `/req/${b.identity.id}/%5C127.0.0.1:1/x`);
    assert.equal(res.status, 400);
    assert.match(res.head, /content-security-policy: sandbox;/i);
    assert.match(res.head, /content-disposition: attachment/i);
    assert.match(res.head, /x-content-type-options: nosniff/i);
  });

  // What browsers send for another site's page, for a navigation (typed URL, link, frame), or an embed.
  const browserCases: Record<string, string>[] = [
    { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' },
    { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'script' },
    { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty', origin: 'http://127.0.0.1:1' },
    { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' },
    { 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' },
    { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe' },
    { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'embed' },
    { origin: 'http://evil.example' },
    { origin: 'null' },
    { referer: 'http://evil.example/page.html' },
    { referer: 'http://localhost:1/' },
  ];

  it('every method on /req refuses other sites\' pages and navigations (403), without calling the service', async () => {
    const before = service.hits.length;
    for (const headers of browserCases) {
      for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
        const res = await rawHttp(aPort, method, `/req/${b.identity.id}/welcome.html`, { ...headers, 'content-length': '0' });
        assert.equal(res.status, 403, `${method} ${JSON.stringify(headers)}`);
        if (method !== 'HEAD') assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'ERR_FORBIDDEN');
      }
    }
    assert.equal(service.hits.length, before);
  });

  it('programs, Node\'s fetch and this origin\'s own page still call /req', async () => {
    for (const headers of <Record<string, string>[]>[{}, { 'sec-fetch-mode': 'cors' }, { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty', origin: `http://127.0.0.1:${aPort}`, referer: `http://127.0.0.1:${aPort}/` }]) {
      const res = await rawHttp(aPort, 'GET', `/req/${b.identity.id}/ok`, headers);
      assert.equal(res.status, 200, JSON.stringify(headers));
    }
  });

  it('reads of /msg that mark messages consumed refuse other sites\' pages: no receipt is forged', async () => {
    const consumed: string[] = [];
    a.bus.on('consumed', (ev) => consumed.push(ev.message.id));
    const sent = await fetch(`${localUrl(c)}/msg/inbox?to=${a.identity.id}&receipt=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"secret":1}' });
    assert.equal(sent.status, 202);
    const { id } = (await sent.json()) as { id: string };
    await waitFor(() => a.bus.held('inbox', { after: 0 }).some((e) => e.message.id === id), 'the message reaches A');

    for (const headers of browserCases) {
      for (const [method, path, extra] of [
        ['GET', '/msg/inbox', {}], ['HEAD', '/msg/inbox', {}], ['GET', '/msg', {}], ['GET', '/msg/inbox?since=0', {}],
        ['GET', '/msg/inbox', { accept: 'text/event-stream' }], ['GET', '/m%73g/inbox', {}],
      ] as const) {
        const res = await rawHttp(aPort, method, path, { ...headers, ...extra });
        assert.equal(res.status, 403, `${method} ${path} ${JSON.stringify(headers)}`);
      }
      const ws = await wsOutcome(`ws://127.0.0.1:${aPort}/ws?topic=inbox`, headers);
      assert.equal(ws, 'HTTP 403', JSON.stringify(headers));
    }
    assert.deepEqual(consumed, []);
    assert.notEqual(c.deliveryStatus(id)?.state, 'delivered');

    // The app's own read (a program) consumes it, and the receipt flips the sender's status: the check above could have seen it.
    const held = (await (await fetch(`${localUrl(a)}/msg/inbox`)).json()) as { messages: { id: string }[] };
    assert.ok(held.messages.some((m) => m.id === id));
    assert.deepEqual(consumed, [id]);
    await waitFor(() => c.deliveryStatus(id)?.state === 'delivered', 'the receipt reaches C');
  });

  it('read-only routes still answer a GET from anywhere (nothing to read cross-origin, nothing changed)', async () => {
    for (const path of ['/id', '/healthz', '/', `/msg/status/nothing`]) {
      const res = await rawHttp(aPort, 'GET', path, { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', origin: 'http://evil.example' });
      assert.ok(res.status === 200 || res.status === 404, `${path}: ${res.status}`);
    }
  });
});

function wsOutcome(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const { origin, ...rest } = headers;
    const ws = new WebSocket(url, { headers: rest, ...(origin !== undefined ? { origin } : {}) });
    ws.on('open', () => (ws.close(), resolve('open')));
    ws.on('unexpected-response', (_req, res) => (resolve(`HTTP ${res.statusCode}`), res.resume()));
    ws.on('error', (err) => resolve(`error ${err.message}`));
  });
}

/** Waits until `cond` holds (checked every 20 ms), failing after 15 s. */
async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const until = Date.now() + 15_000;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
