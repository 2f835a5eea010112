import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { linkReady, localRequest, spawnNode, type NodeProcess } from '../helpers/node-process.js';
import { launchChromium, openDemoTab, receivedRows, sendWithForm, sentRows, type Tab } from './tabs.js';
import { addPeerCard, allOutput, cleanupScope, until } from './support/link-fixture.js';

/** Messages held for apps at a node's local API on `topic` (GET /msg/<topic> without SSE: hands them out). */
async function take(node: NodeProcess, topic: string): Promise<Array<Record<string, unknown>>> {
  const r = await localRequest(node, 'GET', `/msg/${topic}`);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return (r.json as { messages: Array<Record<string, unknown>> }).messages;
}

/**
 * Issue 17 "Prove it", in Chromium against real `pushmesh run` processes:
 * a relay serving the demo page (--browser-demo), a CLI node linked to it
 * over gRPC, and tabs in browser contexts of their own (own IndexedDB,
 * own key). Tab → CLI node and CLI node → tab, decrypted only at the
 * destination, receipts back, the relay's log free of the plaintext.
 */
describe('browser tabs as nodes: tab ↔ CLI node through a relay', { timeout: 600_000 }, () => {
  const { scope, runCleanups } = cleanupScope();
  let relay: NodeProcess;
  let cli: NodeProcess;
  let browser: Browser;
  let tab1: Tab;
  let tab2: Tab;

  before(async () => {
    relay = await spawnNode({ scope, logLevel: 'debug', grpc: '127.0.0.1:0', args: ['--browser-demo'] });
    cli = await spawnNode({ scope, logLevel: 'debug', args: ['--peer', `grpcs://${relay.id}@${relay.grpc}`] });
    await linkReady(cli, relay);
    browser = await launchChromium();
    tab1 = await openDemoTab(browser, relay.https!, scope);
    tab2 = await openDemoTab(browser, relay.https!, scope);
  });
  after(async () => {
    await runCleanups();
    await browser?.close();
  });

  it('each tab is a node of its own, linked to the relay by challenge', async () => {
    assert.match(tab1.id, /^[a-z2-7]{52}$/);
    assert.notEqual(tab1.id, tab2.id);
    assert.equal(tab1.card.endpoint, '');
    const peers = await localRequest(relay, 'GET', '/peers');
    const ids = JSON.stringify(peers.json);
    assert.ok(ids.includes(tab1.id) && ids.includes(tab2.id), ids);
    const relayId = await tab1.page.locator('#relay-id').textContent();
    assert.equal(relayId, relay.id);
  });

  it('the demo is opt-in: a node without --browser-demo serves no page, the relay serves it with a strict CSP', async () => {
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
    try {
      const off = await ctx.request.get(`${cli.https}/browser/`);
      assert.equal(off.status(), 404);
      const on = await ctx.request.get(`${relay.https}/browser/`);
      assert.equal(on.status(), 200);
      assert.match(on.headers()['content-security-policy'] ?? '', /default-src 'none'.*connect-src 'self'/);
      const bundle = await ctx.request.get(`${relay.https}/browser/pushmesh-browser.js`);
      assert.ok(bundle.status() === 200 || bundle.status() === 503, `bundle: ${bundle.status()}`);
    } finally {
      await ctx.close();
    }
  });

  it('tab 1 → CLI node: typed into the demo page, decrypted at the CLI node only, receipt back', async () => {
    const secret = `tab-to-cli-${Math.random().toString(36).slice(2)}`;
    await addPeerCard(cli, tab1.card, scope); // for the receipt back to the tab
    const id = await sendWithForm(tab1.page, cli.id, cli.card, secret);
    const got = await until('the message at the CLI node', async () => (await take(cli, 'chat')).find((m) => m['id'] === id));
    assert.equal(got['from'], tab1.id);
    assert.equal(got['data'], secret);
    await until('status delivered in tab 1', async () => ((await sentRows(tab1.page)).find((r) => r[0] === id)?.[2] === 'delivered' ? true : undefined));
    assert.ok(!allOutput(relay).includes(secret), "the plaintext is in the relay's output");
    assert.deepEqual(tab1.errors, []);
  });

  it('CLI node → tab 2: shown in the demo page, receipt back to the CLI node', async () => {
    const secret = `cli-to-tab-${Math.random().toString(36).slice(2)}`;
    await addPeerCard(cli, tab2.card, scope);
    await tab2.page.evaluate(async (card) => {
      await (globalThis as unknown as { pushmeshDemo: { addCard(c: unknown): Promise<unknown> } }).pushmeshDemo.addCard(card);
    }, cli.card);
    const sent = await localRequest(cli, 'POST', `/msg/chat?to=${tab2.id}&receipt=1`, { text: secret });
    assert.equal(sent.status, 202, JSON.stringify(sent.json));
    const id = (sent.json as { id: string }).id;
    const row = await until('the message in tab 2', async () => (await receivedRows(tab2.page)).find((r) => r[3].includes(secret)));
    assert.equal(row[1], cli.id);
    assert.equal(row[2], 'chat');
    await until('status delivered at the CLI node', async () => {
      const s = await localRequest(cli, 'GET', `/msg/status/${id}`);
      return (s.json as { state?: string }).state === 'delivered' ? true : undefined;
    });
    assert.ok(!allOutput(relay).includes(secret), "the plaintext is in the relay's output");
    assert.deepEqual(tab2.errors, []);
  });

  it('tab 2 → tab 1 on the same relay, typed into the demo form (card pasted), receipt back', async () => {
    const secret = `tab-to-tab-${Math.random().toString(36).slice(2)}`;
    // Tab 1 needs tab 2's card only to send the receipt back.
    await tab1.page.evaluate(async (card) => {
      await (globalThis as unknown as { pushmeshDemo: { addCard(c: unknown): Promise<unknown> } }).pushmeshDemo.addCard(card);
    }, tab2.card);
    const id = await sendWithForm(tab2.page, tab1.id, tab1.card, secret);
    const row = await until('the message in tab 1', async () => (await receivedRows(tab1.page)).find((r) => r[3] === secret));
    assert.equal(row[1], tab2.id);
    await until('status delivered in tab 2', async () => ((await sentRows(tab2.page)).find((r) => r[0] === id)?.[2] === 'delivered' ? true : undefined));
    assert.ok(!allOutput(relay).includes(secret), "the plaintext is in the relay's output");
  });
});
