import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:https';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { resolveConfig } from '../../src/config/index.js';
import { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { formatHostPort } from '../../src/config/index.js';
import { tempHome } from '../helpers/temp-dir.js';
import { httpsRequest, webPush } from '../helpers/web-push.js';

/**
 * Random requests against a node's two HTTP servers, through real sockets:
 * every answer is a 2xx or a 4xx with a JSON error, never a 5xx, and the
 * node keeps working afterwards.
 */
describe('fuzzing the HTTPS push endpoint and the local API (properties)', { timeout: 120_000 }, () => {
  let node: PushmeshNode;
  let local: string;
  let https: string;
  const agent = new Agent({ keepAlive: true, rejectUnauthorized: false }); // fuzzing the endpoint, not TLS
  const cleanups: (() => unknown)[] = [];

  before(async () => {
    const home = await tempHome({ after: (fn) => cleanups.push(fn) });
    const config = resolveConfig(home, [{ local: '127.0.0.1:0', https: '127.0.0.1:0', grpc: 'off', logLevel: 'silent' }]);
    node = await PushmeshNode.start(config, pino({ level: 'silent' }));
    local = `http://${formatHostPort(node.addresses.local)}`;
    https = `https://${formatHostPort(node.addresses.https!)}`;
  });
  after(async () => {
    agent.destroy();
    await node.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  it('POST /push/<id>: any headers and body get 201 or a 4xx', async () => {
    const vapid = webPush.generateVAPIDKeys();
    const card = node.card();
    const good = () => webPush.generateRequestDetails(card, 'ok', { vapidDetails: { subject: 'mailto:f@example.com', ...vapid }, TTL: 5 });
    const header = (valid: string) => fc.option(fc.oneof(fc.constant(valid), fc.string({ maxLength: 40 }), fc.constantFrom('0', '-1', '99999999999', 'high', 'very-low')), { nil: undefined });
    const request = fc.record({
      path: fc.constantFrom(`/push/${card.id}`, `/push/${'q'.repeat(52)}`, '/push/x', `/push/${card.id}/extra`),
      ttl: header('60'),
      urgency: header('normal'),
      topic: header('abc'),
      encoding: fc.option(fc.constantFrom('aes128gcm', 'aesgcm', 'gzip', ''), { nil: undefined }),
      auth: fc.constantFrom('good', 'none', 'garbage'),
      body: fc.oneof(fc.constant('good'), fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.integer({ min: 4000, max: 4200 })),
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const d = good();
        const headers: Record<string, string | number> = {};
        if (r.ttl !== undefined) headers['TTL'] = r.ttl;
        if (r.urgency !== undefined) headers['Urgency'] = r.urgency;
        if (r.topic !== undefined) headers['Topic'] = r.topic;
        if (r.encoding !== undefined) headers['Content-Encoding'] = r.encoding;
        if (r.auth === 'good') headers['Authorization'] = String(d.headers['Authorization']);
        if (r.auth === 'garbage') headers['Authorization'] = `vapid t=${randomBytes(20).toString('base64url')}, k=${vapid.publicKey}`;
        const body = r.body === 'good' ? d.body! : typeof r.body === 'number' ? randomBytes(r.body) : Buffer.from(r.body);
        const res = await httpsRequest(`${https}${r.path}`, { headers, body, agent });
        assert.ok([201, 400, 401, 403, 404, 413, 415].includes(res.status), `${res.status} ${res.body}`);
        if (res.status >= 400 && res.body) assert.ok((JSON.parse(res.body) as { error: { code: string } }).error.code);
      }),
      { numRuns: 250 },
    );
    const d = good();
    assert.equal((await httpsRequest(d.endpoint, { headers: d.headers, body: d.body!, agent })).status, 201);
  });

  it('the local API: any method, path, content type, query and body get a 2xx or a 4xx with a JSON error', async () => {
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
      path: fc.oneof(
        fc.constantFrom('/msg/t', '/msg', '/id', '/peers', '/healthz', '/msg/%zz', '/msg/a%20b', '/nothing'),
        fc.string({ maxLength: 20 }).map((s) => `/msg/${encodeURIComponent(s)}`),
      ),
      query: fc.dictionary(fc.constantFrom('to', 'ttl', 'urgency', 'replace', 'via', 'receipt', 'since'), fc.string({ maxLength: 12 }), { maxKeys: 3 }),
      type: fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', 'application/xml', 'multipart/form-data', ''),
      body: fc.oneof(fc.string({ maxLength: 100 }), fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v))),
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const q = new URLSearchParams(r.query);
        const init: RequestInit = { method: r.method, headers: r.type ? { 'content-type': r.type } : {} };
        if (r.method !== 'GET') init.body = r.body;
        const res = await fetch(`${local}${r.path}${q.size ? `?${q}` : ''}`, init);
        const text = await res.text();
        assert.ok(res.status < 500, `${r.method} ${r.path}: ${res.status} ${text}`);
        if (res.status >= 400) assert.ok((JSON.parse(text) as { error: { code: string; message: string } }).error.message, text);
      }),
      { numRuns: 300 },
    );
    assert.equal((await fetch(`${local}/healthz`)).status, 200);
  });
});
