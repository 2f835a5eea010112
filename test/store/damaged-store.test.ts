import { strict as assert } from 'node:assert';
import { open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeCard } from '../helpers/cards.js';
import { pushmeshOk, runPushmesh, STACK_FRAME } from '../helpers/cli.js';
import { postMessage } from '../helpers/local-api.js';
import { spawnNode } from '../helpers/node-process.js';
import { tempDir, tempHome } from '../helpers/temp-dir.js';

/**
 * A damaged or emptied store at start (docs/node.md "A damaged store"):
 * `pushmesh run` refuses with one line naming the file and what was found,
 * exit 1, and changes nothing; `--accept-store-loss` moves the damaged
 * files aside and starts empty, with a warning line.
 */

const quiet = ['--log-level', 'info'];
const runArgs = (home: string): string[] => ['run', '--home', home, '--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off', ...quiet];

/** A home whose node ran and queued `n` messages for a peer that is away. */
async function homeWithQueue(t: { after(fn: () => unknown): void }, n: number, stop: 'SIGTERM' | 'SIGKILL'): Promise<string> {
  const home = await tempHome(t);
  const cardFile = join(await tempDir(t), 'card.json');
  const peer = makeCard('https://127.0.0.1:9');
  await writeFile(cardFile, JSON.stringify(peer.card));
  await pushmeshOk(['peer', 'add', cardFile, '--home', home]);
  const node = await spawnNode({ home, scope: t, https: 'off', args: quiet });
  for (let i = 0; i < n; i++) assert.equal((await postMessage(node.local, 't', { to: peer.card.id }, { i })).status, 202);
  await node.stop(stop);
  return home;
}

describe('a damaged or emptied store at start is reported, never silently replaced', { concurrency: true, timeout: 120_000 }, () => {
  it('a zero-length pushmesh.db: exit 1 with one line naming the file; --accept-store-loss moves it aside and starts empty with a warning', async (t) => {
    const home = await homeWithQueue(t, 20, 'SIGTERM');
    await writeFile(join(home, 'pushmesh.db'), '');
    const refused = await runPushmesh(runArgs(home));
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /^pushmesh: [^\n]+\n$/, 'one line');
    assert.match(refused.stderr, new RegExp(`store ${join(home, 'pushmesh.db').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is empty \\(0 bytes\\)`));
    assert.match(refused.stderr, /--accept-store-loss/);
    assert.doesNotMatch(refused.stderr, STACK_FRAME);
    assert.equal((await stat(join(home, 'pushmesh.db'))).size, 0, 'nothing changed');

    const node = await spawnNode({ home, scope: t, https: 'off', args: [...quiet, '--accept-store-loss'] });
    const warning = await node.waitForLog((r) => r.level === 40 && /is empty \(0 bytes\).*moved aside/.test(String(r.msg)));
    assert.match(String(warning['movedTo']), /pushmesh\.db\.damaged-/);
    assert.ok((await readdir(home)).some((f) => /^pushmesh\.db\.damaged-[^-]/.test(f) && !f.endsWith('-wal') && !f.endsWith('-shm')), 'the damaged file is kept');
    assert.deepEqual(await node.stop(), { code: 0, signal: null });
    // Accepted once: the next start is an ordinary one.
    const again = await spawnNode({ home, scope: t, https: 'off', args: quiet });
    assert.equal(again.logs.filter((r) => r.level === 40 && r['component'] === 'store').length, 0, 'no store warning');
    await again.stop();
  });

  it('-wal (and -shm) deleted after a kill: exit 1 with one line; --accept-store-loss starts with the database file as it is, with a warning', async (t) => {
    const home = await homeWithQueue(t, 20, 'SIGKILL');
    const wal = join(home, 'pushmesh.db-wal');
    assert.ok((await stat(wal)).size > 0, 'the queued messages are in the WAL');
    await rm(wal);
    await rm(join(home, 'pushmesh.db-shm'), { force: true });
    const refused = await runPushmesh(runArgs(home));
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /^pushmesh: [^\n]+\n$/);
    assert.match(refused.stderr, /was not closed by the node that used it, and its write-ahead log .*pushmesh\.db-wal is gone/);
    assert.doesNotMatch(refused.stderr, STACK_FRAME);

    const node = await spawnNode({ home, scope: t, https: 'off', args: [...quiet, '--accept-store-loss'] });
    await node.waitForLog((r) => r.level === 40 && r['found'] === 'missing -wal after an unclean stop');
    await node.stop();
  });

  it('a kill that leaves the -wal, and a clean stop: no warning, nothing lost', async (t) => {
    const home = await homeWithQueue(t, 5, 'SIGKILL');
    const node = await spawnNode({ home, scope: t, https: 'off', args: quiet });
    const running = await node.waitForLog((r) => r.msg === 'pushmesh node running');
    assert.equal(running['queued'], 5);
    assert.equal(node.logs.filter((r) => r.level === 40 && r['component'] === 'store').length, 0, 'no store warning');
    await node.stop();
    const wal = await stat(join(home, 'pushmesh.db-wal')).catch(() => null);
    assert.equal(wal, null, 'a clean stop checkpoints and removes the WAL');
    const again = await spawnNode({ home, scope: t, https: 'off', args: quiet });
    assert.equal((await again.waitForLog((r) => r.msg === 'pushmesh node running'))['queued'], 5);
    await again.stop();
  });

  it('a store that fails its integrity check: exit 1 with one line naming the file', async (t) => {
    const home = await homeWithQueue(t, 30, 'SIGTERM');
    const file = join(home, 'pushmesh.db');
    const size = (await stat(file)).size;
    assert.ok(size > 3 * 4096);
    const fh = await open(file, 'r+');
    try {
      for (let page = 1; page * 4096 < size; page++) await fh.write(Buffer.alloc(64, 0xa5), 0, 64, page * 4096 + 8);
    } finally {
      await fh.close();
    }
    const refused = await runPushmesh(runArgs(home));
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /^pushmesh: store \S+pushmesh\.db (failed its integrity check|is not a readable SQLite database)[^\n]*\n$/);
    assert.doesNotMatch(refused.stderr, STACK_FRAME);
  });
});
