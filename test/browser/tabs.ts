import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Card } from '../../src/identity/types.js';
import { packageRoot } from '../../src/util/package-root.js';
import { tempDir, type CleanupScope } from '../helpers/temp-dir.js';

export const CHROMIUM = process.env['PUSHMESH_CHROMIUM'] ?? '/usr/bin/chromium';
/** The bundle a relay with --browser-demo serves (npm run build). */
export const BUNDLE = join(packageRoot(), 'dist', 'browser', 'pushmesh-browser.js');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], timeout: 60_000 });
}

let compiled: Promise<string> | undefined;

/**
 * src/browser compiled by tsc as plain ES modules (what the bundle is
 * made of), for a tree where the bundle was not built: the tab then loads
 * the same code as a module graph instead of one file.
 */
export function compiledModules(scope: CleanupScope): Promise<string> {
  compiled ??= (async () => {
    const dir = await tempDir(scope, 'pushmesh-browser-modules-');
    const tsc = join(packageRoot(), 'node_modules', 'typescript', 'bin', 'tsc');
    await promisify(execFile)(process.execPath, [tsc, '-p', join(packageRoot(), 'tsconfig.browser.json'), '--emitDeclarationOnly', 'false', '--declaration', 'false', '--outDir', dir], { timeout: 120_000 });
    return dir;
  })();
  return compiled;
}

export interface Tab {
  context: BrowserContext;
  page: Page;
  id: string;
  card: Card;
  /** Uncaught page errors and console errors, for assertions and failure messages. */
  errors: string[];
}

/**
 * A tab of its own browser context (its own IndexedDB, so its own key)
 * on the relay's demo page; resolves once the page's node is linked.
 * `context` reuses a context (a reload or a second page of the same "browser profile").
 */
export async function openDemoTab(browser: Browser, relayHttps: string, scope: CleanupScope, context?: BrowserContext): Promise<Tab> {
  const ctx = context ?? (await browser.newContext({ ignoreHTTPSErrors: true }));
  if (!context) {
    scope.after(() => ctx.close());
    // Keeps the text frames the page's WebSockets send (the challenge proof), for the replay tests.
    await ctx.addInitScript(`(() => {
      const sent = (globalThis.__pushmeshTextFrames = []);
      const send = WebSocket.prototype.send;
      WebSocket.prototype.send = function (data) {
        if (typeof data === 'string') sent.push(data);
        return send.call(this, data);
      };
    })()`);
  }
  if (!existsSync(BUNDLE)) {
    const dir = await compiledModules(scope);
    await ctx.route('**/browser/pushmesh-browser.js', (r) => r.fulfill({ contentType: 'text/javascript', body: "export * from './m/browser/index.js';" }));
    await ctx.route('**/browser/m/**', async (r) => {
      const rel = normalize(new URL(r.request().url()).pathname.replace(/^\/browser\/m\//, ''));
      if (rel.startsWith('..')) return r.fulfill({ status: 404 });
      const file = join(dir, rel);
      if (!existsSync(file)) return r.fulfill({ status: 404 });
      return r.fulfill({ contentType: 'text/javascript', body: await readFile(file, 'utf8') });
    });
  }
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`response ${r.status()}: ${r.url()}`);
  });
  await page.goto(`${relayHttps}/browser/`);
  return { context: ctx, page, errors, ...(await demoNode(page, errors)) };
}

/** Waits for the demo page's node (linked) and reads its ID and card. */
export async function demoNode(page: Page, errors: string[] = []): Promise<{ id: string; card: Card }> {
  try {
    await page.waitForFunction(() => (globalThis as { pushmeshDemo?: { linked: boolean } }).pushmeshDemo?.linked === true, null, { timeout: 60_000 });
  } catch (err) {
    const problem = await page.locator('#problem').textContent().catch(() => '');
    throw new Error(`the demo page's node did not link: ${problem ?? ''} ${errors.join('; ')}`, { cause: err });
  }
  return page.evaluate(() => {
    const n = (globalThis as unknown as { pushmeshDemo: { id: string; card: Card } }).pushmeshDemo;
    return { id: n.id, card: n.card };
  });
}

/** Rows of the demo page's "Received" table: [time, from, topic, data]. */
export function receivedRows(page: Page): Promise<string[][]> {
  return page.$$eval('#messages-body tr', (rows) => rows.map((r) => [...r.children].map((c) => c.textContent ?? '')));
}

/** Rows of the demo page's "Sent" table: [message, to, state, reason]. */
export function sentRows(page: Page): Promise<string[][]> {
  return page.$$eval('#statuses-body tr', (rows) => rows.map((r) => [...r.children].map((c) => c.textContent ?? '')));
}

/** Sends with the demo page's form, as a person would; resolves with the message ID the page shows. */
export async function sendWithForm(page: Page, to: string, card: Card | null, text: string): Promise<string> {
  await page.fill('#send-to', to);
  await page.fill('#send-card', card ? JSON.stringify(card) : '');
  await page.fill('#send-text', text);
  const before = (await page.locator('#send-result').textContent()) ?? '';
  await page.click('#send-button');
  const handle = await page.waitForFunction(
    (prev) => {
      const doc = (globalThis as unknown as { document: { getElementById(id: string): { textContent: string | null; hidden?: boolean } } }).document;
      const t = doc.getElementById('send-result').textContent ?? '';
      const problem = doc.getElementById('problem');
      if (!problem.hidden && problem.textContent) return `problem: ${problem.textContent}`;
      return t !== prev && t.startsWith('queued ') ? t : false;
    },
    before,
    { timeout: 30_000 },
  );
  const shown = (await handle.jsonValue()) as string;
  if (shown.startsWith('problem: ')) throw new Error(`the demo page refused to send: ${shown}`);
  return shown.replace(/^queued /, '');
}
