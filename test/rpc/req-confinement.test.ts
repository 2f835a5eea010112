import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { introduce, localUrl, startInProcessNode } from '../helpers/in-process-node.js';
import { rawHttp, startRecordingService, type RecordingService } from './services.js';

/**
 * Issue 12, "/req stays inside its service": node Z exposes
 * http://127.0.0.1:P1/api/ to X; another local service listens on P2, and
 * Z's own local API on its port. No request path, in any encoding, reaches
 * anything but P1 under /api/, whether X's local API is used (it refuses
 * early) or X's node sends the request message as it likes (Z refuses).
 */
describe('/req stays inside its service (real nodes, real services on 127.0.0.1)', { timeout: 120_000 }, () => {
  let x: PushmeshNode;
  let z: PushmeshNode;
  let p1: RecordingService;
  let p2: RecordingService;
  let streamClosed: Promise<unknown>;
  let declaredClosed: Promise<unknown>;
  const cleanups: (() => unknown)[] = [];
  const scope = { after: (fn: () => unknown) => cleanups.push(fn) };
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  before(async () => {
    let streamed!: (v: unknown) => void;
    let declared!: (v: unknown) => void;
    streamClosed = new Promise((r) => (streamed = r));
    declaredClosed = new Promise((r) => (declared = r));
    p1 = await startRecordingService(scope, (req, res) => {
      if (req.url === '/api/stream') {
        // An answer that never ends, as fast as the socket takes it.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(16 * 1024, 0x61);
        const pump = (): void => {
          while (!res.destroyed && res.write(chunk));
        };
        res.on('drain', pump);
        res.on('close', () => streamed(true));
        pump();
        return;
      }
      if (req.url === '/api/declared') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(1 << 30) });
        res.write(Buffer.alloc(1024));
        res.on('close', () => declared(true));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url }));
    });
    p2 = await startRecordingService(scope);
    x = await startInProcessNode(scope);
    z = await startInProcessNode(scope, { service: { target: `${p1.url}/api/`, allow: [x.identity.id], timeoutMs: 5_000 } });
    await introduce(x, z);
  });

  /** Every request P1 saw is under /api/; P2 saw nothing. */
  const confined = (): void => {
    assert.deepEqual(p2.hits, [], 'the other local service was reached');
    for (const h of p1.hits) assert.ok(h.url.startsWith('/api/'), `P1 saw ${h.url} outside /api/`);
  };

  it('honours the base path: /req/<Z>/ping reaches /api/ping, the rest is joined below it, decoded once', async () => {
    const cases: [string, string][] = [
      ['ping', '/api/ping'],
      ['', '/api/'],
      ['a/b/?x=1&y=%2F..%2F', '/api/a/b/?x=1&y=%2F..%2F'],
      ['a%20b/c%3Fd', '/api/a%20b/c%3Fd'],
      ['%2541', '/api/%2541'],
      ['caf%C3%A9', '/api/caf%C3%A9'],
      ['a:b@c$d&e+f,g=h', '/api/a:b@c$d&e+f,g=h'],
      ['a;b', '/api/a%3Bb'],
      ['%7e%41', '/api/~A'],
      ['https:127.0.0.1:1/abs', '/api/https:127.0.0.1:1/abs'],
      ['..a/.b/a..', '/api/..a/.b/a..'],
    ];
    for (const [path, expected] of cases) {
      const res = await rawHttp(Number(new URL(localUrl(x)).port), 'GET', `/req/${z.identity.id}/${path}`);
      assert.equal(res.status, 200, `${path}: ${res.body}`);
      assert.equal((JSON.parse(res.body) as { url: string }).url, expected, path);
      assert.equal(p1.hits.at(-1)?.from, x.identity.id);
    }
    confined();
  });

  // Request paths (below /req/<Z>) that must never leave P1's /api/, written as they go on the wire.
  const escapes = (p2port: number, zLocal: number): string[] => [
    // Backslashes, raw and encoded at every level (the reported SSRF).
    `%5C127.0.0.1:${p2port}/secret`, `%5c127.0.0.1:${p2port}/secret`, `\\127.0.0.1:${p2port}/secret`, `%255C127.0.0.1:${p2port}/secret`,
    `%25255c127.0.0.1:${p2port}/secret`, `%5C%5C127.0.0.1:${p2port}/secret`, `a\\..\\..\\secret`, `a%5C..%5Csecret`, `%EF%BC%BC127.0.0.1:${p2port}/secret`,
    // The same trick against Z's own local API: send as Z, read Z's inbox.
    `%5C127.0.0.1:${zLocal}/msg/chat?to=${'a'.repeat(52)}`, `%5C127.0.0.1:${zLocal}/msg/private`, `/127.0.0.1:${zLocal}/msg/private`,
    // Absolute URLs and network paths.
    `/127.0.0.1:${p2port}/secret`, `http://127.0.0.1:${p2port}/abs`, `http:%2F%2F127.0.0.1:${p2port}/abs`, `%2F%2F127.0.0.1:${p2port}/abs`,
    `http:\\\\127.0.0.1:${p2port}/abs`, `%252F%252F127.0.0.1:${p2port}/abs`, `a//b`,
    // Dot segments, in every encoding.
    '../admin', './admin', '..', '.', '..%2Fadmin', '..%2fadmin', '%2e%2e/admin', '%2E%2E/admin', '.%2e/admin', '%2e./admin', '%2e/admin',
    '%252e%252e/admin', '%25252e%25252e/admin', '%2525252e%2525252e/admin', '..;/admin', '%2e%2e;jsessionid=1/admin', '..%3B/admin', '.../admin',
    '..%20/admin', 'a/%2e%2e/%2e%2e/admin', 'a%2F..%2F..%2Fadmin', '%c0%ae%c0%ae/admin', '%e0%80%ae%e0%80%ae/admin', '%u002e%u002e/admin',
    '%EF%BC%8E%EF%BC%8E/admin', '%E2%80%A5/admin', '%EF%B9%92%EF%B9%92/admin',
    // Control characters and header injection.
    'a%00b', '%0d%0aX-Injected:%201', 'a%7f', 'a%C2%85b', 'a%E2%80%A8b', '%250a',
  ];

  it('X\'s local API refuses every escaping path with 400 and sends nothing', async () => {
    const port = Number(new URL(localUrl(x)).port);
    const before = p1.hits.length;
    for (const path of escapes(p2.port, z.addresses.local.port)) {
      const res = await rawHttp(port, 'GET', `/req/${z.identity.id}/${path}`);
      assert.equal(res.status, 400, `${path} → ${res.status} ${res.body}`);
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const r = await rawHttp(port, method, `/req/${z.identity.id}/${path}`, { 'content-length': '0' });
        assert.equal(r.status, 400, `${method} ${path} → ${r.status}`);
      }
    }
    assert.deepEqual(p1.hits.slice(before), [], 'nothing went over the mesh');
    confined();
  });

  it('Z refuses them too when the request message comes straight from a node (400, with the reason, service not called)', async () => {
    const before = p1.hits.length;
    const wirePaths = [
      ...escapes(p2.port, z.addresses.local.port).map((p) => `/${p}`),
      `http://127.0.0.1:${p2.port}/abs`, `//127.0.0.1:${p2.port}/abs`, `/\\127.0.0.1:${p2.port}/abs`, `\\\\127.0.0.1:${p2.port}/abs`,
      `/a\u0000b`, '/a\r\nX-Injected: 1', '/a b', '/a#frag', '/caf\u00e9', '/\uff0e\uff0e/admin', `/http://169.254.169.254/latest/meta-data/`,
    ];
    for (const path of wirePaths) {
      const res = await x.request(z.identity.id, { v: 1, method: 'GET', path, headers: {}, body: '' }, { timeoutMs: 10_000 });
      assert.equal(res.status, 400, `${JSON.stringify(path)} → ${res.status} ${res.error ?? ''}`);
      assert.match(res.error ?? '', /bad request: (request path refused|path must)/, path);
    }
    assert.equal(p1.hits.length, before, 'the service was called');
    confined();
  });

  it('a refusal over the mesh reaches the caller as 400 with X-Pushmesh-Error', async () => {
    const res = await x.request(z.identity.id, { v: 1, method: 'POST', path: `/%5C127.0.0.1:${p2.port}/secret`, headers: {}, body: '' }, { timeoutMs: 10_000 });
    assert.equal(res.status, 400);
    assert.match(res.error ?? '', /backslash/);
    assert.deepEqual(JSON.parse(Buffer.from(res.body, 'base64').toString()), { error: res.error });
  });

  it('an answer over the cap is refused with 502 as it streams, and the service connection is cut', async () => {
    const t0 = Date.now();
    const res = await fetch(`${localUrl(x)}/req/${z.identity.id}/stream`);
    assert.equal(res.status, 502);
    assert.match(res.headers.get('x-pushmesh-error') ?? '', /does not fit in one message: over 4096 bytes/);
    await streamClosed; // Z stopped reading and closed the connection: the endless answer was never buffered
    assert.ok(Date.now() - t0 < 5_000, 'refused before the service timeout');
    const res2 = await fetch(`${localUrl(x)}/req/${z.identity.id}/declared`);
    assert.equal(res2.status, 502);
    assert.match(res2.headers.get('x-pushmesh-error') ?? '', /over 4096 bytes/);
    await declaredClosed;
    confined();
  });

  it('the reported requests, through the local API with fetch as a program sends them', async () => {
    // fetch normalizes "..", "\" and "%2e" in the URL it is given; what it sends must still stay inside.
    for (const path of [`%5C127.0.0.1:${p2.port}/secret`, '..%2Fadmin', `%5C127.0.0.1:${z.addresses.local.port}/msg/private`]) {
      const res = await fetch(`${localUrl(x)}/req/${z.identity.id}/${path}`);
      assert.equal(res.status, 400, path);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'ERR_BAD_ARGUMENT');
      assert.equal(res.headers.get('content-security-policy')?.split(';')[0], 'sandbox');
    }
    confined();
  });

  it('nothing reached Z\'s local API as Z', () => {
    // Had a request reached Z's /msg/chat, Z would hold or queue a message; had it read /msg/private, it would be consumed.
    assert.equal(z.queueDepth(), 0);
    assert.deepEqual(z.bus.held(null, { after: 0 }).map((e) => e.message.topic), []);
  });
});
