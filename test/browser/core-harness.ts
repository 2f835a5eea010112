/**
 * Chromium with the browser core bundle (dist/browser/pushmesh-browser-core.js,
 * built by `npm run build`) loaded in a page of a plain HTTP server on
 * 127.0.0.1 (a secure context, so WebCrypto and IndexedDB are there).
 * The page holds the module as `globalThis.core`.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { after, before } from 'node:test';
import { packageRoot } from '../../src/util/package-root.js';

export const CHROMIUM = process.env['PUSHMESH_CHROMIUM'] ?? '/usr/bin/chromium';
export const WAIT = 30_000;
export const CORE_BUNDLE = join(packageRoot(), 'dist', 'browser', 'pushmesh-browser-core.js');

const PAGE = `<!doctype html><meta charset="utf-8"><title>core</title>
<script type="module">import * as core from '/core.js'; globalThis.core = core; globalThis.coreReady = true;</script>`;

export interface CoreHarness {
  url: string;
  browser: Browser;
  /** A new context (its own IndexedDB) with the page loaded and the module ready. */
  newPage(context?: BrowserContext): Promise<Page>;
  close(): Promise<void>;
}

export async function startCoreHarness(): Promise<CoreHarness> {
  const bundle = readFileSync(CORE_BUNDLE);
  const server: Server = createServer((req, res) => {
    if (req.url === '/core.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      res.end(bundle);
    } else if (req.url === '/' || req.url?.startsWith('/?')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], timeout: 60_000 });
  } catch (err) {
    server.close();
    throw err;
  }
  return {
    url,
    browser,
    async newPage(context?: BrowserContext): Promise<Page> {
      const ctx = context ?? (await browser.newContext());
      const page = await ctx.newPage();
      page.setDefaultTimeout(WAIT);
      await page.goto(url);
      await page.waitForFunction(() => (globalThis as { coreReady?: boolean }).coreReady === true, undefined, { timeout: WAIT });
      return page;
    },
    async close(): Promise<void> {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A hex string of bytes (what crosses page.evaluate). */
export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const unhex = (s: string): Buffer => Buffer.from(s, 'hex');

/**
 * For a describe() of tests on one page: starts the harness and opens the
 * page in a before hook, closes the harness in an after hook. `page` is
 * there once the before hooks ran.
 */
export function corePageSuite(): { readonly page: Page } {
  let h: CoreHarness | undefined;
  let page: Page | undefined;
  before(async () => {
    h = await startCoreHarness();
    page = await h.newPage();
  });
  after(async () => {
    await h?.close();
  });
  return {
    get page(): Page {
      if (!page) throw new Error('the core page is not open (corePageSuite is read before its before hook ran)');
      return page;
    },
  };
}
