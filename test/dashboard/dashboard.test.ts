import { strict as assert } from 'node:assert';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { packageRoot } from '../../src/util/package-root.js';
import { signConfig } from '../../src/signed-config/index.js';
import { makeOwner } from '../signed-config/fixtures.js';
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

/**
 * At the viewport's width nothing sticks out of the page, and every table
 * sits in a box of its own that is inside the page and scrolls it
 * sideways when the table is wider; with `fitAll`, every table's columns
 * all show without scrolling. Returns what is wrong, [] when all is well.
 */
const overflowCheck = (fitAll: boolean): string => `(() => {
  const wrong = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > innerWidth) wrong.push('page scrolls sideways: ' + doc.scrollWidth + ' > ' + innerWidth);
  for (const table of document.querySelectorAll('table')) {
    const box = table.parentElement;
    const r = box.getBoundingClientRect();
    if (!box.classList.contains('scroll-x')) wrong.push(table.id + ': not in a .scroll-x box');
    if (r.left < 0 || r.right > innerWidth + 0.5) wrong.push(table.id + ': box ' + r.left + '..' + r.right + ' outside 0..' + innerWidth);
    const x = getComputedStyle(box).overflowX;
    if (table.offsetWidth > box.clientWidth + 0.5 && x !== 'auto' && x !== 'scroll') wrong.push(table.id + ': wider than its box, which does not scroll');
    if (${fitAll} && table.offsetWidth > box.clientWidth + 0.5) wrong.push(table.id + ': columns hidden (' + table.offsetWidth + ' > ' + box.clientWidth + ')');
  }
  return wrong;
})()`;

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
  const owner = makeOwner();

  before(async () => {
    a = await startTestNode({ grpc: '127.0.0.1:0', trust: [`app=${owner.id}`] });
    // B dials A over gRPC: a link (with counters) and a route on both sides.
    b = await startTestNode({ peers: [`grpcs://${a.node.identity.id}@127.0.0.1:${a.node.addresses.grpc!.port}`] });
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
    assert.equal(await page.textContent('#node-vip6'), a.node.identity.vip6, 'the identity view shows the VIP6 line');
    assert.match(a.node.identity.vip6, /^fd00::/);
    assert.match((await page.locator('label', { has: page.locator('#send-to') }).textContent()) ?? '', /^To \(node ID or VIP6; empty = this node's apps\)/);
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

  it('lists the linked peer with its link counters, and the queue', { timeout: TEST_TIMEOUT }, async () => {
    const row = page.locator(`#peers tr[data-id="${b.node.identity.id}"]`);
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    assert.deepEqual(cells.slice(0, 4), [`${b.node.identity.id.slice(0, 12)}…`, 'grpc', 'inbound', 'yes']);
    // Received (7th column) counts the message from B; the link counters (in flight, NACKed, refused) are numbers.
    await page.locator(`#peers tr[data-id="${b.node.identity.id}"] td:nth-child(7)`, { hasText: /^[1-9]\d*$/ }).waitFor();
    for (const n of [8, 9, 10]) assert.match((await row.locator(`td:nth-child(${n})`).textContent()) ?? '', /^\d+$/, `column ${n}`);
    assert.match((await page.textContent('#queue-depth')) ?? '', /^\d+$/);
  });

  it('lists the route to the linked node with its path', { timeout: TEST_TIMEOUT }, async () => {
    const routes = (await (await fetch(`${a.localUrl}/routes`)).json()) as { routes: { dest: string; next: string; hops: number; kind: string }[] };
    const toB = routes.routes.find((r) => r.dest === b.node.identity.id);
    assert.ok(toB, JSON.stringify(routes));
    const row = page.locator(`#routes tr[data-id="${b.node.identity.id}"]`);
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    assert.deepEqual(cells.slice(0, 5), [`${b.node.identity.id.slice(0, 12)}…`, 'direct', '1', toB.kind, 'yes']);
    assert.equal(await row.locator('td:nth-child(2)').getAttribute('title'), `next hop ${b.node.identity.id}`);
  });

  it('lists the signed configs the node keeps: namespace, name, version, owner', { timeout: TEST_TIMEOUT }, async () => {
    for (const [name, version, data] of [['limits', 3, { max: 5 }], ['motd', 1, 'hello <b>ops</b>']] as const) {
      const res = await fetch(`${a.localUrl}/config`, {
        method: 'POST',
        headers: { 'content-type': 'application/jose' },
        body: await signConfig({ namespace: 'app', name, version, data }, owner.privateKey),
      });
      assert.equal(res.status, 200, await res.text());
    }
    const row = page.locator('#configs tr[data-id="app/limits"]');
    await row.waitFor();
    const cells = await row.locator('td').allTextContents();
    assert.deepEqual([cells[0], cells[1], cells[2], cells[3], cells[5]], ['app', 'limits', '3', `${owner.id.slice(0, 12)}…`, '{"max":5}']);
    assert.equal(await row.locator('td:nth-child(4)').getAttribute('title'), owner.id);
    await page.locator('#configs tr[data-id="app/motd"] td:nth-child(6)', { hasText: '"hello <b>ops</b>"' }).waitFor();
    await page.locator('#config-count', { hasText: '2' }).waitFor();
    assert.equal(await page.locator('#configs b').count(), 0, 'config data became elements');
  });

  it('shows the delivery status of messages sent, up to the receipt', { timeout: TEST_TIMEOUT }, async () => {
    const sent = await post(a, 'with-receipt', { to: b.node.identity.id, receipt: '1' }, JSON.stringify({ n: 1 }));
    assert.equal(sent.status, 202, JSON.stringify(sent.json));
    const id = String(sent.json['id']);
    await bStream.waitFor((e) => (JSON.parse(e.data) as { id?: string }).id === id, WAIT);
    const row = page.locator(`#statuses tr[data-id="${id}"]`);
    await page.locator(`#statuses tr[data-id="${id}"] td:nth-child(3)`, { hasText: 'delivered' }).waitFor();
    const cells = await row.locator('td').allTextContents();
    assert.deepEqual([cells[0], cells[1], cells[4]], [id, `${b.node.identity.id.slice(0, 12)}…`, 'yes']);
    // The page's list is the node's: GET /statuses, newest first.
    const list = (await (await fetch(`${a.localUrl}/statuses?recent=50`)).json()) as { statuses: { id: string; state: string }[] };
    assert.equal(list.statuses[0]?.id, id);
    assert.equal(list.statuses[0]?.state, 'delivered');
  });

  for (const width of [1280, 390]) {
    it(`nothing overflows the page at ${width} px; each table stays in its own box`, { timeout: TEST_TIMEOUT }, async () => {
      await page.setViewportSize({ width, height: 900 });
      // Every view has rows by now (peers, routes, configs, statuses, messages).
      for (const body of ['peers', 'routes', 'configs', 'statuses', 'messages']) await page.locator(`#${body} tr[data-id]`).first().waitFor();
      assert.equal(await page.evaluate<number>('innerWidth'), width);
      // At 1280 px every column of every table shows (the peers table used to push its columns out of view).
      assert.deepEqual(await page.evaluate<string[]>(overflowCheck(width >= 1280)), []);
      await mkdir(join(packageRoot(), 'test', 'artifacts'), { recursive: true });
      await page.screenshot({ path: join(packageRoot(), 'test', 'artifacts', `dashboard-${width}.png`), fullPage: true });
    });
  }

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

  it('the send form takes a VIP6 address: the message reaches the node with that address', { timeout: TEST_TIMEOUT }, async () => {
    await page.fill('#send-to', b.node.identity.vip6);
    await page.fill('#send-topic', 'form-vip6');
    await page.fill('#send-data', '{"by":"vip6"}');
    await page.fill('#send-ttl', '');
    await page.selectOption('#send-urgency', '');
    const before = (await page.getAttribute('#send-result', 'data-id')) ?? '';
    await page.click('#send-button');
    const result = page.locator(`#send-result[data-state="ok"]:not([data-id="${before}"])`);
    await result.waitFor();
    const id = await result.getAttribute('data-id');
    assert.ok(id, 'no message id shown');
    const ev = await bStream.waitFor((e) => (JSON.parse(e.data) as { id?: string }).id === id, WAIT);
    const m = JSON.parse(ev.data) as Record<string, unknown>;
    assert.equal(m['to'], b.node.identity.id, 'the VIP6 was resolved to the node ID');
    assert.deepEqual(m['data'], { by: 'vip6' });
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
