import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { isLocalHostName } from '../../src/local-api/browser-guard.js';
import { rawRequest } from '../helpers/http-request.js';
import { startTestNode, type TestNode } from '../helpers/node.js';

describe('local API refuses what other sites\' pages ask through a browser', { timeout: 60_000 }, () => {
  let n: TestNode;
  let host: string;
  before(async () => {
    n = await startTestNode({ https: 'off' });
    host = new URL(n.localUrl).host;
  });
  after(() => n?.close());

  const send = (headers: Record<string, string>) =>
    rawRequest(`${n.localUrl}/msg/guard`, { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body: 'hello' });

  it('programs (no Origin, no Sec-Fetch-Site) and same-origin pages may send', async () => {
    assert.equal((await send({})).status, 202);
    assert.equal((await send({ origin: `http://${host}`, 'sec-fetch-site': 'same-origin' })).status, 202);
    assert.equal((await send({ host: `localhost:${n.node.addresses.local.port}`, origin: `http://localhost:${n.node.addresses.local.port}` })).status, 202);
  });

  it('a cross-site or cross-origin POST is 403 ERR_FORBIDDEN and sends nothing', async () => {
    const before = n.node.bus.held('guard', { after: 0 }).length;
    for (const headers of <Record<string, string>[]>[
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { origin: `http://${host}.evil.example` },
    ]) {
      const res = await send(headers);
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'ERR_FORBIDDEN');
    }
    assert.equal(n.node.bus.held('guard', { after: 0 }).length, before);
  });

  it('a host name that is not an IP or localhost is refused on loopback, even for GET (DNS rebinding)', async () => {
    const res = await rawRequest(`${n.localUrl}/id`, { headers: { host: `evil.example:${n.node.addresses.local.port}` } });
    assert.equal(res.status, 403);
    assert.match(res.body, /host name/);
    assert.equal((await rawRequest(`${n.localUrl}/id`, { headers: { host: `[::1]:${n.node.addresses.local.port}` } })).status, 200);
    // A GET from another site (a link followed) still shows the page.
    assert.equal((await rawRequest(`${n.localUrl}/`, { headers: { 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' } })).status, 200);
  });

  it('a WebSocket from another origin is refused; from this origin or a program it opens', async () => {
    const url = `${n.localUrl.replace('http', 'ws')}/ws`;
    const outcome = (ws: WebSocket) =>
      new Promise<string>((resolve) => {
        ws.on('open', () => (ws.close(), resolve('open')));
        ws.on('unexpected-response', (_req, res) => (resolve(`HTTP ${res.statusCode}`), res.resume()));
        ws.on('error', (err) => resolve(`error ${err.message}`));
      });
    assert.equal(await outcome(new WebSocket(url, { origin: 'http://evil.example' })), 'HTTP 403');
    assert.equal(await outcome(new WebSocket(url, { origin: `http://${host}` })), 'open');
    assert.equal(await outcome(new WebSocket(url)), 'open');
  });

  it('isLocalHostName', () => {
    for (const h of ['127.0.0.1', '127.0.0.1:15004', 'localhost', 'LOCALHOST:1', '[::1]:15004', '10.1.2.3', 'localhost.']) assert.ok(isLocalHostName(h), h);
    for (const h of ['evil.example', 'foo.localhost', 'localhost.evil.example', '[::1', '127.0.0.1:x', '', '[evil]:1', '1.2.3']) assert.ok(!isLocalHostName(h), h);
  });
});
