import { strict as assert } from 'node:assert';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { packageRoot } from '../../src/util/package-root.js';
import { makeCard } from '../helpers/cards.js';
import { startHttpServer } from '../helpers/http-server.js';
import { introduce, startTestNode, type TestNode } from '../helpers/node.js';
import { openSse, type SseClient } from '../helpers/sse.js';

const CHROMIUM = process.env['PUSHMESH_CHROMIUM'] ?? '/usr/bin/chromium';
const WAIT = 30_000;
const TEST_TIMEOUT = 90_000;
const XSS = `<img src=x onerror="window.__pushmeshXss=1;alert(1)"><script>window.__pushmeshXss=2</script>`;

/** POST /msg/<topic> on a node's local API over a real socket. */
async function post(node: TestNode, topic: string, query: Record<string, string>, body: string, type = 'application/json'): Promise<{ status: number; json: Record<string, unknown> }> {
  const qs = new URLSearchParams(query).toString();
  const res = await fetch(`${node.localUrl}/msg/${encodeURIComponent(topic)}${qs ? `?${qs}` : ''}`, {
    method: 'POST',
    headers: { 'content-type': type },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('dashboard in headless Chromium, two real nodes', { timeout: 10 * TEST_TIMEOUT }, () => {
  let a: TestNode; // the node whose dashboard the browser shows
  let b: TestNode; // the other node
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let bStream: SseClient;
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];
  const dialogs: string[] = [];

  before(async () => {
    a = await startTestNode();
    b = await startTestNode();
    await introduce(a, b);
    bStream = await openSse(`${b.localUrl}/msg`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], timeout: 60_000 });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: a.localUrl });
    context.setDefaultTimeout(WAIT);
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Trusted Type/i.test(m.text())) cspViolations.push(m.text());
    });
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  }, { timeout: TEST_TIMEOUT });

  after(async () => {
    bStream?.close();
    await browser?.close();
    await a?.close();
    await b?.close();
  });

  it('serves the page with a strict CSP and shows the node ID and card', { timeout: TEST_TIMEOUT }, async () => {
    const res = await page.goto(a.localUrl + '/');
    assert.ok(res, 'no response for /');
    assert.equal(res.status(), 200);
    const csp = res.headers()['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /require-trusted-types-for 'script'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.equal(res.headers()['x-content-type-options'], 'nosniff');

    const id = a.node.identity.id;
    await page.locator('#node-id', { hasText: id }).waitFor();
    assert.equal(await page.textContent('#node-id'), id);
    assert.equal(await page.textContent('#node-endpoint'), a.node.card().endpoint);
    assert.deepEqual(JSON.parse((await page.textContent('#card-json')) ?? ''), a.node.card());
    await page.locator('#stream-state[data-state="ok"]').waitFor();
    await page.locator('#health[data-state="ok"]').waitFor();
  });

  it('copy button puts the card into the clipboard', { timeout: TEST_TIMEOUT }, async () => {
    await page.click('#copy-card');
    await page.locator('#copy-status[data-state="copied"]').waitFor();
    const copied = await page.evaluate<string>('navigator.clipboard.readText()');
    assert.deepEqual(JSON.parse(copied), a.node.card());
  });

  it('a message sent by the other node appears live, with from, topic and data', { timeout: TEST_TIMEOUT }, async () => {
    const sent = await post(b, 'chat', { to: a.node.identity.id }, JSON.stringify({ text: 'hello from B', n: 7 }));
    assert.equal(sent.status, 202, JSON.stringify(sent.json));
    const row = page.locator(`#messages tr[data-id="${String(sent.json['id'])}"]`);
    await row.waitFor();
    assert.equal(await row.locator('td.topic').textContent(), 'chat');
    assert.equal(await row.locator('td.from').textContent(), b.node.identity.id);
    assert.deepEqual(JSON.parse((await row.locator('td.data pre').textContent()) ?? ''), { text: 'hello from B', n: 7 });
  });

  it('lists the peer it heard from, with counters, and the queue', { timeout: TEST_TIMEOUT }, async () => {
    const row = page.locator(`#peers tr[data-id="${b.node.identity.id}"]`);
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    assert.deepEqual(cells.slice(0, 2), [`${b.node.identity.id.slice(0, 12)}…`, 'https']);
    await page.locator(`#peers tr[data-id="${b.node.identity.id}"] td:nth-child(6)`, { hasText: /^[1-9]\d*$/ }).waitFor();
    assert.match((await page.textContent('#queue-depth')) ?? '', /^\d+$/);
  });

  it('the send form delivers a message that the other node receives', { timeout: TEST_TIMEOUT }, async () => {
    await page.fill('#send-to', b.node.identity.id);
    await page.fill('#send-topic', 'form-topic');
    await page.fill('#send-data', '{"n":42,"s":"from the form"}');
    await page.fill('#send-ttl', '120');
    await page.selectOption('#send-urgency', 'high');
    await page.click('#send-button');
    const result = page.locator('#send-result[data-state="ok"]');
    await result.waitFor();
    const id = await result.getAttribute('data-id');
    assert.ok(id, 'no message id shown');
    assert.match((await result.textContent()) ?? '', new RegExp(`sent ${id}: queued`));

    const ev = await bStream.waitFor((e) => (JSON.parse(e.data) as { id?: string }).id === id, WAIT);
    const m = JSON.parse(ev.data) as Record<string, unknown>;
    assert.equal(m['from'], a.node.identity.id);
    assert.equal(m['to'], b.node.identity.id);
    assert.equal(m['topic'], 'form-topic');
    assert.deepEqual(m['data'], { n: 42, s: 'from the form' });
    assert.equal(m['urgency'], 'high');
    assert.ok((m['ttl'] as number) > 0 && (m['ttl'] as number) <= 120, `ttl ${String(m['ttl'])}`);
  });

  it('shows errors: unknown destination (404), a bad node ID (400), data that is not JSON', { timeout: TEST_TIMEOUT }, async () => {
    const stranger = makeCard().card.id;
    await page.fill('#send-to', stranger);
    await page.fill('#send-topic', 'chat');
    await page.fill('#send-data', '{"x":1}');
    await page.fill('#send-ttl', '');
    await page.click('#send-button');
    const bad = page.locator('#send-result[data-state="bad"]');
    await bad.waitFor();
    const text404 = (await bad.textContent()) ?? '';
    assert.match(text404, /HTTP 404 ERR_NOT_FOUND/);
    assert.ok(text404.includes(stranger), text404);
    assert.equal(await bad.isVisible(), true);

    await page.fill('#send-to', 'not-a-node-id');
    await page.click('#send-button');
    await page.locator('#send-result[data-state="bad"]', { hasText: 'HTTP 400 ERR_BAD_ARGUMENT' }).waitFor();

    await page.fill('#send-to', b.node.identity.id);
    await page.fill('#send-data', '{"unterminated": ');
    await page.click('#send-button');
    await page.locator('#send-result[data-state="bad"]', { hasText: 'data is not valid JSON' }).waitFor();
  });

  it('shows message content as text: HTML in data is never parsed or run', { timeout: TEST_TIMEOUT }, async () => {
    const asJson = await post(b, 'xss', { to: a.node.identity.id }, JSON.stringify({ html: XSS }));
    const asText = await post(b, 'xss', { to: a.node.identity.id }, XSS, 'text/plain');
    assert.equal(asJson.status, 202);
    assert.equal(asText.status, 202);
    const jsonRow = page.locator(`#messages tr[data-id="${String(asJson.json['id'])}"]`);
    const textRow = page.locator(`#messages tr[data-id="${String(asText.json['id'])}"]`);
    await jsonRow.waitFor();
    await textRow.waitFor();
    assert.equal(await textRow.locator('td.data pre').textContent(), XSS);
    assert.deepEqual(JSON.parse((await jsonRow.locator('td.data pre').textContent()) ?? ''), { html: XSS });
    assert.equal(await page.locator('#messages img, #messages script').count(), 0, 'message content became elements');
    assert.equal(await page.evaluate<unknown>('window.__pushmeshXss'), undefined);
    assert.deepEqual(dialogs, []);

    await mkdir(join(packageRoot(), 'test', 'artifacts'), { recursive: true });
    await page.screenshot({ path: join(packageRoot(), 'test', 'artifacts', 'dashboard.png'), fullPage: true });
  });

  it("another site's page cannot send or open the WebSocket through the user's browser", { timeout: TEST_TIMEOUT }, async (t) => {
    const evil = await startHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>'), t);
    const forbidden = async (): Promise<number> => {
      const text = await a.node.metrics.registry.getSingleMetricAsString('pushmesh_rejected_requests_total');
      return Number(/status="403"\S* (\d+)/.exec(text)?.[1] ?? 0);
    };
    const before = await forbidden();
    // localhost vs 127.0.0.1: another site; 127.0.0.1 on another port: same site, another origin.
    for (const origin of [evil.url.replace('127.0.0.1', 'localhost'), evil.url]) {
      const other = await context.newPage();
      try {
        await other.goto(origin + '/');
        const outcome = await other.evaluate<string>(`(async () => {
          await fetch(${JSON.stringify(a.localUrl)} + '/msg/csrf', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: 'pwned' });
          return await new Promise((resolve) => {
            const ws = new WebSocket(${JSON.stringify(a.localUrl.replace('http', 'ws'))} + '/ws');
            ws.onopen = () => resolve('open');
            ws.onerror = () => resolve('refused');
          });
        })()`);
        assert.equal(outcome, 'refused', origin);
      } finally {
        await other.close();
      }
    }
    assert.ok((await forbidden()) >= before + 2, 'the POSTs did not reach the node');
    assert.deepEqual(a.node.bus.held('csrf', { after: 0 }), []);
  });

  it('reconnects the message stream after the node restarts', { timeout: TEST_TIMEOUT }, async () => {
    const port = a.node.addresses.local.port;
    const https = a.node.addresses.https!.port;
    await a.node.close();
    await page.locator('#stream-state[data-state="bad"]').waitFor();
    await page.locator('#problem:not([hidden])').waitFor();

    // Same home, same ports: the page (same origin) must find it again by itself.
    const restarted = await startTestNode({ local: `127.0.0.1:${port}`, https: `127.0.0.1:${https}` }, a.home);
    const old = a;
    a = { ...restarted, close: async () => (await restarted.close(), await old.close()) };
    await page.locator('#stream-state[data-state="ok"]').waitFor({ timeout: 60_000 });
    await page.locator('#health[data-state="ok"]').waitFor({ timeout: 60_000 });
    await page.locator('#problem[hidden]').waitFor({ state: 'attached' });

    const sent = await post(a, 'after-restart', {}, JSON.stringify({ again: true }));
    assert.equal(sent.status, 202);
    assert.equal(sent.json['status'], 'local');
    const row = page.locator(`#messages tr[data-id="${String(sent.json['id'])}"]`);
    await row.waitFor();
    assert.equal(await row.locator('td.from').textContent(), a.node.identity.id);
  });

  it('ran without page errors or CSP violations', () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(cspViolations, []);
  });
});
