import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import WebSocket from 'ws';
import { encodeDiscoveryRequest } from '../../src/proto/index.js';
import { NODE_CARD_TYPE_URL } from '../../src/proto/node-card.js';
import { parseChallenge, encodeProof, signProof } from '../../src/transport/auth/ws-challenge.js';
import { generatePrivateKey } from '../helpers/keys.js';
import { localRequest, spawnNode, type NodeProcess } from '../helpers/node-process.js';
import { launchChromium, openDemoTab, type Tab } from './tabs.js';
import { cleanupScope } from './support/link-fixture.js';

interface Closed {
  code: number;
  reason: string;
}

/**
 * In a page: opens the relay's /ws as a tab does, answers the challenge
 * with `answer(challengeText)` (a JS function body given as text, run in
 * the page, returning the proof frame), and reports how the relay closed
 * the socket (or `{code: 0}` if it answered the proof with a binary frame,
 * i.e. admitted it).
 */
async function tryProof(page: Page, url: string, answer: string): Promise<Closed> {
  // One script text (evaluated by the test driver, not by page code: the demo page's CSP allows no eval).
  return (await page.evaluate(`new Promise((resolve) => {
    const make = async (challenge) => { ${answer} };
    const ws = new WebSocket(${JSON.stringify(url)}, 'pushmesh.ads.v2');
    ws.binaryType = 'arraybuffer';
    const timer = setTimeout(() => resolve({ code: -1, reason: 'no answer within 30 s' }), 30000);
    ws.onmessage = async (ev) => {
      if (typeof ev.data === 'string') {
        ws.send(await make(ev.data));
        // Admitted peers start ADS: ask for the relay's card, which it answers (binary) only after a good proof.
        const typeUrl = new TextEncoder().encode('type.googleapis.com/pushmesh.v1.NodeCard');
        ws.send(new Uint8Array([0x22, typeUrl.length, ...typeUrl])); // DiscoveryRequest{type_url (4)}
      } else {
        clearTimeout(timer);
        ws.close();
        resolve({ code: 0, reason: 'admitted' });
      }
    };
    ws.onclose = (ev) => {
      clearTimeout(timer);
      resolve({ code: ev.code, reason: ev.reason });
    };
  })`)) as Closed;
}

/** Page code (a function body, `challenge` = the challenge text) that signs the right bytes with a fresh key of its own, but presents `key`. */
const signWithOwnKeyPresenting = (key: string): string => `
  const c = JSON.parse(challenge);
  const b64 = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4)), (ch) => ch.charCodeAt(0));
  const u64 = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  const enc = new TextEncoder();
  const data = new Uint8Array([...enc.encode('pushmesh ws-challenge v1'), 0, ...b64(c.nonce), ...enc.encode(c.listener), 0]);
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, data));
  return JSON.stringify({ type: 'proof', key: ${JSON.stringify(key)}, binding: 'none', sig: u64(sig) });
`;

/**
 * Issue 17 "Prove it": a tab presenting a replayed challenge answer, or
 * another tab's ID, is refused by a real `pushmesh run` relay; so is a
 * tab that proves its own key but hands the relay another tab's card.
 */
describe('browser tabs: what the relay refuses', { timeout: 300_000 }, () => {
  const { scope, runCleanups } = cleanupScope();
  let relay: NodeProcess;
  let browser: Browser;
  let tab1: Tab;
  let tab2: Tab;
  let wsUrl: string;

  before(async () => {
    relay = await spawnNode({ scope, logLevel: 'debug', args: ['--browser-demo'] });
    wsUrl = `wss://127.0.0.1:${relay.httpsPort}/ws`;
    browser = await launchChromium();
    tab1 = await openDemoTab(browser, relay.https!, scope);
    tab2 = await openDemoTab(browser, relay.https!, scope);
  });
  after(async () => {
    await runCleanups();
    await browser?.close();
  });

  it("a good proof is admitted (the same page code, the tab's own fresh key)", async () => {
    const r = await tryProof(
      tab2.page,
      wsUrl,
      // A fresh key, presented as itself: admitted (then closed by the page).
      signWithOwnKeyPresenting('__OWN__').replace(
        "key: \"__OWN__\"",
        'key: u64(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)))',
      ).replace("false, ['sign', 'verify']", "true, ['sign', 'verify']"),
    );
    assert.deepEqual(r, { code: 0, reason: 'admitted' });
  });

  it("tab 1's own proof, replayed by tab 2 on a new connection, is refused (4401)", async () => {
    const frames = await tab1.page.evaluate(() => (globalThis as unknown as { __pushmeshTextFrames: string[] }).__pushmeshTextFrames);
    const proof = frames.find((f) => f.includes('"type":"proof"'));
    assert.ok(proof, 'tab 1 sent its proof');
    assert.equal(JSON.parse(proof).binding, 'none');
    const r = await tryProof(tab2.page, wsUrl, `return ${JSON.stringify(proof)};`);
    assert.equal(r.code, 4401, JSON.stringify(r));
    assert.match(r.reason, /^unauthenticated: proof refused/);
  });

  it("tab 2 presenting tab 1's key (its ID), signed with another key, is refused (4401)", async () => {
    const r = await tryProof(tab2.page, wsUrl, signWithOwnKeyPresenting(tab1.card.keys.p256dh));
    assert.equal(r.code, 4401, JSON.stringify(r));
  });

  it("a tab that proves its own key but gives tab 1's card in the handshake is cut off (1002), tab 1 stays linked", async () => {
    // From Node (the same frames a page sends): the proof is good, the card in node.metadata is tab 1's.
    const key = generatePrivateKey();
    const ws = new WebSocket(wsUrl, 'pushmesh.ads.v2', { rejectUnauthorized: false });
    const closed = await new Promise<Closed>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no close within 30 s')), 30_000);
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const challenge = parseChallenge(data, false);
        ws.send(encodeProof(signProof(challenge, key, 'none')));
        ws.send(encodeDiscoveryRequest({ typeUrl: NODE_CARD_TYPE_URL, node: { id: tab1.id, userAgentName: 'evil', clientFeatures: [], metadata: { pushmesh_card: tab1.card as never } } }));
      });
      ws.on('close', (code, reason) => {
        clearTimeout(timer);
        resolve({ code, reason: reason.toString() });
      });
      ws.on('error', () => undefined);
    });
    assert.equal(closed.code, 1002, JSON.stringify(closed));
    const peers = JSON.stringify((await localRequest(relay, 'GET', '/peers')).json);
    assert.ok(peers.includes(tab1.id), 'tab 1 is still linked');
    const linked = await tab1.page.evaluate(() => (globalThis as unknown as { pushmeshDemo: { linked: boolean } }).pushmeshDemo.linked);
    assert.equal(linked, true);
  });

  it('a tab put on peers.deny is cut off (4403) and not retried at once; its next page load is refused (the page says so)', async () => {
    const third = await openDemoTab(browser, relay.https!, scope);
    await third.page.evaluate(() => {
      const g = globalThis as unknown as { __links: unknown[]; pushmeshDemo: { on(e: string, fn: (x: unknown) => void): void } };
      g.__links = [];
      g.pushmeshDemo.on('link', (e) => g.__links.push(e));
    });
    await writeFile(join(relay.home, 'peers.deny'), `${third.id}\n`);
    const refused = (await third.page
      .waitForFunction(() => (globalThis as unknown as { __links: Array<{ state: string }> }).__links.find((e) => e.state === 'refused') ?? false, null, { timeout: 60_000 })
      .then((h) => h.jsonValue())) as { reason: string; retryInMs: number };
    assert.equal(refused.reason, 'forbidden');
    assert.equal(refused.retryInMs, 30_000);
    assert.equal(await third.page.locator('#link-state').getAttribute('class'), 'pill refused');
    // A new page load of the same profile (same key): refused again, the page says so.
    const page = await third.context.newPage();
    await page.goto(`${relay.https}/browser/`);
    await page.locator('#problem').filter({ hasText: 'refused' }).waitFor({ timeout: 60_000 });
    assert.match((await page.locator('#problem').textContent()) ?? '', /ERR_PEER_REFUSED|refused this tab: forbidden/);
    // The others are still linked.
    const peers = JSON.stringify((await localRequest(relay, 'GET', '/peers')).json);
    assert.ok(peers.includes(tab1.id));
  });
});
