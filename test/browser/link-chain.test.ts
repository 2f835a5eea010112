import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { linkReady, localRequest, spawnNode, type NodeProcess } from '../helpers/node-process.js';
import { demoNode, launchChromium, openDemoTab, receivedRows, type Tab } from './tabs.js';
import { addPeerCard, allOutput, cleanupScope, until } from './support/link-fixture.js';

type Demo = { pushmeshDemo: { addCard(c: unknown): Promise<unknown>; send(to: string, topic: string, data: unknown, o: unknown): Promise<{ id: string }>; status(id: string): { state: string; reason?: string } | undefined } };

/** The peer entries of a node's GET /peers. */
async function peers(n: NodeProcess): Promise<Array<{ id: string; connected: boolean }>> {
  return ((await localRequest(n, 'GET', '/peers')).json as { peers: Array<{ id: string; connected: boolean }> }).peers;
}

/**
 * Issue 17 "Prove it", the parts across relays: relay R2 chains to relay
 * R1 (R2 dials R1); tab 1 and the CLI node are linked to R1, tab 2 to R2.
 * Tab 2 → tab 1 with R1 as an explicit jump host (R2 → R1 → tab 1); the
 * CLI node → tab 2 through R1 and R2 (R1 learned tab 2 from R2's route
 * announcement, which holds tab 2's own signed attachment); tab 1 closed,
 * a message for it waits at R1, and the tab reloaded in the same browser
 * profile has the same ID and gets it. Neither relay logs a plaintext.
 */
describe('browser tabs across two relays: jump chain, announced route, reload', { timeout: 600_000 }, () => {
  const { scope, runCleanups } = cleanupScope();
  let r1: NodeProcess;
  let r2: NodeProcess;
  let cli: NodeProcess;
  let browser: Browser;
  let tab1: Tab;
  let tab2: Tab;
  const secrets: string[] = [];
  const secret = (what: string): string => {
    const s = `${what}-${Math.random().toString(36).slice(2)}`;
    secrets.push(s);
    return s;
  };

  before(async () => {
    r1 = await spawnNode({ scope, logLevel: 'debug', grpc: '127.0.0.1:0', args: ['--browser-demo'] });
    r2 = await spawnNode({ scope, logLevel: 'debug', args: ['--browser-demo', '--peer', `grpcs://${r1.id}@${r1.grpc}`] });
    cli = await spawnNode({ scope, logLevel: 'debug', args: ['--peer', `grpcs://${r1.id}@${r1.grpc}`] });
    await Promise.all([linkReady(r2, r1), linkReady(cli, r1)]);
    browser = await launchChromium();
    tab1 = await openDemoTab(browser, r1.https!, scope);
    tab2 = await openDemoTab(browser, r2.https!, scope);
    for (const [n, t] of [[cli, tab1], [cli, tab2]] as const) await addPeerCard(n, t.card, scope);
  });
  after(async () => {
    await runCleanups();
    await browser?.close();
  });

  it('tab 2 (at R2) → tab 1 (at R1) with R1 as jump host: path R2, R1', async () => {
    const text = secret('jump');
    await tab1.page.evaluate(() => {
      const g = globalThis as unknown as { __got: unknown[]; pushmeshDemo: { on(e: string, fn: (m: unknown) => void): void } };
      g.__got = [];
      g.pushmeshDemo.on('message', (m) => g.__got.push(m));
    });
    const id = await tab2.page.evaluate(
      async ([to, card, via, data]) => {
        const n = (globalThis as unknown as Demo).pushmeshDemo;
        await n.addCard(card);
        return (await n.send(to, 'chat', data, { via: [via], text: true })).id;
      },
      [tab1.id, tab1.card, r1.id, text] as const,
    );
    const row = await until('the message in tab 1', async () => (await receivedRows(tab1.page)).find((r) => r[3] === text));
    assert.equal(row[1], tab2.id);
    const got = await tab1.page.evaluate(() => (globalThis as unknown as { __got: Array<{ data: unknown; path: string[]; from: string; encoding: string }> }).__got);
    const m = got.find((x) => x.data === text);
    assert.ok(m, JSON.stringify(got));
    assert.deepEqual(m.path, [r2.id, r1.id], 'relayed by R2, then R1 (the jump host)');
    assert.equal(m.encoding, 'text');
    const state = await until('sent at tab 2', async () => {
      const s = await tab2.page.evaluate((m) => (globalThis as unknown as Demo).pushmeshDemo.status(m), id);
      return s && s.state !== 'queued' ? s : undefined;
    });
    assert.equal(state.state, 'sent');
  });

  it("CLI node (at R1) → tab 2 (at R2): R1 routes it by R2's announcement of tab 2's attachment", async () => {
    await until('R1 has a route to tab 2', async () => {
      const routes = JSON.stringify((await localRequest(r1, 'GET', '/routes')).json);
      return routes.includes(tab2.id) ? true : undefined;
    });
    const text = secret('cli-to-tab2');
    const sent = await localRequest(cli, 'POST', `/msg/chat?to=${tab2.id}`, { text });
    assert.equal(sent.status, 202, JSON.stringify(sent.json));
    const row = await until('the message in tab 2', async () => (await receivedRows(tab2.page)).find((r) => r[3].includes(text)));
    assert.equal(row[1], cli.id);
  });

  it('tab 1 closed: a message for it waits at R1; reloaded in the same profile, same ID, it arrives', async () => {
    const context = tab1.context;
    await tab1.page.evaluate(async (card) => {
      await (globalThis as unknown as Demo).pushmeshDemo.addCard(card);
    }, cli.card);
    await tab1.page.close();
    await until('R1 sees tab 1 gone', async () => ((await peers(r1)).some((p) => p.id === tab1.id && p.connected) ? undefined : true));
    const text = secret('while-away');
    const sent = await localRequest(cli, 'POST', `/msg/chat?to=${tab1.id}`, { text });
    assert.equal(sent.status, 202, JSON.stringify(sent.json));
    const id = (sent.json as { id: string }).id;
    // R1 took it (held for the tab): the CLI node's status is "sent".
    await until('sent (held at R1)', async () => ((await localRequest(cli, 'GET', `/msg/status/${id}`)).json as { state?: string }).state === 'sent' ? true : undefined);
    const page = await context.newPage();
    await page.goto(`${r1.https}/browser/`);
    const again = await demoNode(page);
    assert.equal(again.id, tab1.id, 'the reloaded tab has the same node ID (key from IndexedDB)');
    const row = await until('the held message in the reloaded tab', async () => (await receivedRows(page)).find((r) => r[3].includes(text)));
    assert.equal(row[1], cli.id);
    // The cards it was given are kept too (IndexedDB): it sends to the CLI node without being given its card again.
    const reply = secret('after-reload');
    await page.evaluate(
      async ([to, data]) => {
        const n = (globalThis as unknown as Demo).pushmeshDemo;
        await n.send(to, 'chat', data, { text: true });
      },
      [cli.id, reply] as const,
    );
    const got = await until('the reply at the CLI node', async () => {
      const r = await localRequest(cli, 'GET', '/msg/chat');
      return ((r.json as { messages: Array<Record<string, unknown>> }).messages ?? []).find((m) => m['data'] === reply);
    });
    assert.equal(got['from'], tab1.id);
  });

  it("neither relay's output holds a plaintext", () => {
    for (const r of [r1, r2]) for (const s of secrets) assert.ok(!allOutput(r).includes(s), `${s} in a relay's output`);
  });
});
