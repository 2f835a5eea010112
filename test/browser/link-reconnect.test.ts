import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { linkReady, localRequest, spawnNode, type NodeProcess } from '../helpers/node-process.js';
import { demoNode, launchChromium, openDemoTab, receivedRows, sendWithForm, sentRows, type Tab } from './tabs.js';
import { addPeerCard, cleanupScope, until as untilWithin } from './support/link-fixture.js';

/** Polls with this file's longer bound (the relay restarts in between). */
const until = <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => untilWithin(what, fn, 90_000);

type LinkEvent = { state: string; reason?: string; retryInMs?: number };

/**
 * The relay goes away and comes back on the same address: the tab, left
 * open, notices, dials again with backoff, and is linked again on its own
 * (same ID); a message sent to it by the CLI node then arrives.
 */
describe('browser tab: reconnects to a relay that restarted', { timeout: 400_000 }, () => {
  const { scope, runCleanups } = cleanupScope();
  let relay: NodeProcess;
  let cli: NodeProcess;
  let browser: Browser;
  let tab: Tab;

  before(async () => {
    relay = await spawnNode({ scope, logLevel: 'debug', grpc: '127.0.0.1:0', args: ['--browser-demo'] });
    cli = await spawnNode({ scope, logLevel: 'debug', args: ['--peer', `grpcs://${relay.id}@${relay.grpc}`] });
    await linkReady(cli, relay);
    browser = await launchChromium();
    tab = await openDemoTab(browser, relay.https!, scope);
    await tab.page.evaluate(() => {
      const g = globalThis as unknown as { __links: LinkEvent[]; pushmeshDemo: { on(e: string, fn: (x: LinkEvent) => void): void } };
      g.__links = [];
      g.pushmeshDemo.on('link', (e) => g.__links.push({ state: e.state, ...(e.reason ? { reason: e.reason } : {}), ...(e.retryInMs !== undefined ? { retryInMs: e.retryInMs } : {}) }));
    });
    await addPeerCard(cli, tab.card, scope);
  });
  after(async () => {
    await runCleanups();
    await browser?.close();
  });

  it('the relay stops: the tab sees the link go down (shutdown) and retries with backoff', async () => {
    const exit = await relay.stop('SIGTERM');
    assert.equal(exit.code, 0);
    const events = await until('down events in the tab', async () => {
      const e = await tab.page.evaluate(() => (globalThis as unknown as { __links: LinkEvent[] }).__links);
      return e.filter((x) => x.state === 'down').length >= 2 ? e : undefined;
    });
    const downs = events.filter((x) => x.state === 'down');
    assert.ok(['shutdown', 'normal', 'network'].includes(downs[0]!.reason!), JSON.stringify(downs));
    for (const d of downs) assert.ok(d.retryInMs !== undefined && d.retryInMs >= 0 && d.retryInMs <= 30_000, JSON.stringify(d));
    assert.equal(await tab.page.locator('#link-state').getAttribute('class'), 'pill down');
  });

  let queuedText = '';
  let queuedId = '';
  it('while the relay is away, a message typed in the tab waits (queued); the page is then closed', async () => {
    queuedText = `queued-while-away-${Math.random().toString(36).slice(2)}`;
    queuedId = await sendWithForm(tab.page, cli.id, cli.card, queuedText);
    assert.equal((await sentRows(tab.page)).find((r) => r[0] === queuedId)?.[2], 'queued');
    await tab.page.close();
  });

  it('the relay is back: the tab opened again (same profile, same ID) sends what waited in IndexedDB', async () => {
    relay = await spawnNode({ scope, home: relay.home, logLevel: 'debug', https: `127.0.0.1:${relay.httpsPort}`, grpc: relay.grpc!, args: ['--browser-demo'] });
    await linkReady(cli, relay, 90_000);
    const page = await tab.context.newPage();
    await page.goto(`${relay.https}/browser/`);
    const again = await demoNode(page);
    assert.equal(again.id, tab.id);
    tab = { ...tab, page };
    const got = await until('the queued message at the CLI node', async () => {
      const r = await localRequest(cli, 'GET', '/msg/chat');
      return ((r.json as { messages: Array<Record<string, unknown>> }).messages ?? []).find((m) => m['id'] === queuedId);
    });
    assert.equal(got['data'], queuedText);
    assert.equal(got['from'], tab.id);
  });

  it('the tab left open links again by itself when the relay restarts, and gets a message', async () => {
    await tab.page.evaluate(() => {
      const g = globalThis as unknown as { __links: LinkEvent[]; pushmeshDemo: { on(e: string, fn: (x: LinkEvent) => void): void } };
      g.__links = [];
      g.pushmeshDemo.on('link', (e) => g.__links.push({ state: e.state }));
    });
    await relay.stop('SIGTERM');
    await until('down in the tab', async () => ((await tab.page.evaluate(() => (globalThis as unknown as { __links: LinkEvent[] }).__links)).some((e) => e.state === 'down') ? true : undefined));
    relay = await spawnNode({ scope, home: relay.home, logLevel: 'debug', https: `127.0.0.1:${relay.httpsPort}`, grpc: relay.grpc!, args: ['--browser-demo'] });
    await linkReady(cli, relay, 90_000);
    await until('the tab linked again', async () => ((await tab.page.evaluate(() => (globalThis as unknown as { pushmeshDemo: { linked: boolean } }).pushmeshDemo.linked)) ? true : undefined));
    const id = await tab.page.evaluate(() => (globalThis as unknown as { pushmeshDemo: { id: string } }).pushmeshDemo.id);
    assert.equal(id, tab.id);
    const text = `after-restart-${Math.random().toString(36).slice(2)}`;
    const sent = await localRequest(cli, 'POST', `/msg/chat?to=${tab.id}`, { text });
    assert.equal(sent.status, 202, JSON.stringify(sent.json));
    const row = await until('the message in the tab', async () => (await receivedRows(tab.page)).find((r) => r[3].includes(text)));
    assert.equal(row[1], cli.id);
  });
});
