import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { compiledModules, launchChromium } from './tabs.js';
import { cleanupScope } from './support/link-fixture.js';

/**
 * The page API with a relay played by the page itself (connect's
 * `webSocket` option): a message handed to the tab, then the same
 * message handed again after a "reload" (a new client on the same
 * IndexedDB) is ACKed and dropped, not shown twice; a message the tab
 * cannot open is NACKed with its reason. Modules: src/browser compiled
 * by tsc, served from 127.0.0.1 (a secure context).
 */
describe('pushmesh/browser client: duplicates across reloads, NACKs (relay played in the page)', { timeout: 300_000 }, () => {
  const { scope, cleanups, runCleanups } = cleanupScope();
  let server: Server;
  let browser: Browser;
  let page: Page;

  before(async () => {
    const dir = await compiledModules(scope);
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>t</title>');
        return;
      }
      const rel = normalize(path.replace(/^\/m\//, ''));
      const file = join(dir, rel);
      if (!path.startsWith('/m/') || rel.startsWith('..') || !existsSync(file)) return void res.writeHead(404).end();
      void readFile(file).then((b) => res.writeHead(200, { 'content-type': 'text/javascript' }).end(b));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    browser = await launchChromium();
    const ctx = await browser.newContext();
    page = await ctx.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  });
  after(async () => {
    await browser?.close();
    await runCleanups();
  });

  it('a message handed again after a reload is ACKed and dropped; a bad one is NACKed', async () => {
    const result = await page.evaluate(async () => {
      const core = await import('/m/browser/core/index.js' as string);
      const api = await import('/m/browser/index.js' as string);
      const NODE_CARD = 'type.googleapis.com/pushmesh.v1.NodeCard';
      const WP = 'type.googleapis.com/pushmesh.v1.WebpushMessage';
      const relay = await core.generateIdentity();
      const sender = await core.generateIdentity();
      const relayCard = core.cardOf(relay);
      const buf = (b: Uint8Array): ArrayBuffer => b.slice().buffer;
      type Answer = { nonce: string; error?: { message: string; details: number } };
      /** A fake relay: challenge, card, then one response of `deliver` messages; records the tab's answers. */
      const fakeRelay = (deliver: Uint8Array[], answers: Answer[]) => () => {
        let binary = 0;
        const ws = {
          binaryType: '',
          readyState: 1,
          onmessage: null as null | ((e: { data: unknown }) => void),
          onclose: null as null | ((e: { code: number; reason: string }) => void),
          onerror: null as unknown,
          send(d: unknown) {
            if (typeof d === 'string') return; // the proof: a real relay checks it
            binary++;
            const req = core.decodeDiscoveryRequest(d as Uint8Array);
            if (binary === 2) {
              ws.onmessage?.({ data: buf(core.encodeDiscoveryResponse({ typeUrl: NODE_CARD, versionInfo: '1', nonce: '1', resources: [{ typeUrl: NODE_CARD, value: core.encodeNodeCard({ id: relayCard.id, endpoint: '', p256dh: relayCard.keys.p256dh, auth: relayCard.keys.auth }) }], controlPlane: { identifier: relay.id } })) });
              if (deliver.length > 0) ws.onmessage?.({ data: buf(core.encodeDiscoveryResponse({ typeUrl: WP, versionInfo: '2', nonce: '2', resources: deliver.map((value) => ({ typeUrl: WP, value })), controlPlane: { identifier: relay.id } })) });
            } else if (req.typeUrl === WP && req.responseNonce === '2') {
              answers.push({ nonce: '2', ...(req.errorDetail ? { error: { message: req.errorDetail.message, details: req.errorDetail.details.length } } : {}) });
            }
          },
          close(code?: number, reason?: string) {
            ws.readyState = 3;
            setTimeout(() => ws.onclose?.({ code: code ?? 1000, reason: reason ?? '' }), 0);
          },
        };
        setTimeout(() => ws.onmessage?.({ data: JSON.stringify({ type: 'challenge', nonce: core.toBase64Url(core.randomBytes(32)), listener: relay.id }) }), 0);
        return ws as unknown as WebSocket;
      };
      const waitFor = async (cond: () => boolean): Promise<void> => {
        const end = Date.now() + 20_000;
        while (!cond()) {
          if (Date.now() > end) throw new Error('timed out');
          await new Promise((r) => setTimeout(r, 10));
        }
      };
      const session = async (deliver: Uint8Array[]) => {
        const answers: Answer[] = [];
        const got: unknown[] = [];
        const node = await api.connect('wss://relay.invalid/ws', { dbName: 'replay-test', webSocket: fakeRelay(deliver, answers) });
        node.on('message', (m: unknown) => got.push(m));
        if (deliver.length > 0) await waitFor(() => answers.length > 0);
        await new Promise((r) => setTimeout(r, 50));
        node.close();
        return { node, answers, got };
      };
      const first = await session([]);
      const msg = {
        id: core.newMessageId(),
        from: sender.id,
        to: first.node.id,
        topic: 'chat',
        time: Date.now(),
        ttl: 600,
        urgency: 'normal',
        meta: {},
        data: { kind: 'json', value: { n: 1 } },
      };
      const wire = core.encodeWebpushMessage(await core.messageCrypto(sender).seal(msg, first.node.card));
      const second = await session([wire]);
      const third = await session([wire]);
      const garbage = new Uint8Array([0x0a, 0x02, 0x68, 0x69]); // WebpushMessage{id: "hi"}, nothing else
      const fourth = await session([garbage, wire]);
      return {
        sameId: second.node.id === first.node.id && third.node.id === first.node.id,
        second: { answers: second.answers, got: second.got.length },
        third: { answers: third.answers, got: third.got.length },
        fourth: { answers: fourth.answers, got: fourth.got.length },
      };
    });
    assert.equal(result.sameId, true);
    assert.deepEqual(result.second, { answers: [{ nonce: '2' }], got: 1 }, 'handed to the page, ACKed');
    assert.deepEqual(result.third, { answers: [{ nonce: '2' }], got: 0 }, 'after a reload: ACKed, not handed again');
    assert.deepEqual(result.fourth, { answers: [{ nonce: '2', error: { message: 'bad_message', details: 2 } }], got: 0 }, 'a NACK with one status per message');
  });
});
