/**
 * Setup shared by the test/browser link tests (real `pushmesh run`
 * processes, Chromium tabs): cleanups in reverse order, polling with a
 * bound, a node's whole output, and adding a tab's card as a peer.
 */
import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runPushmesh } from '../../helpers/cli.js';
import type { NodeProcess } from '../../helpers/node-process.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** Default bound of `until` (a busy 2-core machine, Chromium, real processes). */
export const WAIT = 60_000;

/** What tests and helpers register cleanups with. */
export interface Scope {
  after(fn: () => unknown): void;
}

/** A scope whose cleanups `runCleanups` runs last-registered first. */
export function cleanupScope(): { scope: Scope; cleanups: (() => unknown)[]; runCleanups(): Promise<void> } {
  const cleanups: (() => unknown)[] = [];
  return {
    scope: { after: (fn) => void cleanups.push(fn) },
    cleanups,
    async runCleanups() {
      for (const fn of cleanups.reverse()) await fn();
    },
  };
}

/** Polls `fn` until it returns a value (not undefined), at most `timeoutMs`; the last error is in the timeout's message. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = WAIT): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Everything a node process wrote: its log lines and stderr. */
export const allOutput = (n: NodeProcess): string => JSON.stringify(n.logs) + n.stderr();

/** `pushmesh peer add <card file>` at `node` (a tab's card, say); fails the test unless it exits 0. */
export async function addPeerCard(node: NodeProcess, card: unknown, scope: Scope): Promise<void> {
  const file = join(await tempDir(scope), 'card.json');
  await writeFile(file, JSON.stringify(card));
  const r = await runPushmesh(['peer', 'add', file, '--home', node.home]);
  assert.equal(r.code, 0, r.stderr);
}
