/**
 * The home folder (docs/configuration.md, "Home folder"), with real
 * `pushmesh` processes: everything the node writes there is 0600 / 0700
 * whatever the umask (the store's -wal and -shm included); a file or folder
 * loosened while the node was stopped is reported at the next start and set
 * back; one node per home: a second `pushmesh run` (or `init --force`) is
 * refused with the PID of the running one, and the lock of a process that
 * exited is taken over.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { defaultConfig } from '../../src/config/index.js';
import { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { makeCard } from '../helpers/cards.js';
import { pushmeshOk, runPushmesh, STACK_FRAME } from '../helpers/cli.js';
import { spawnNode, type LogRecord } from '../helpers/node-process.js';
import { tempDir, tempHome } from '../helpers/temp-dir.js';

const posix = process.platform !== 'win32';
// The widest umask there is: every mode below is the node's own doing, not the umask's.
if (posix) process.umask(0o000);

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;
const octal = (m: number): string => m.toString(8).padStart(4, '0');
const quiet = ['--https', 'off', '--grpc', 'off', '--log-level', 'info'];

/** PID of a process that has exited (a lock left by it is stale). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('home folder: file modes and the lock', { skip: !posix, concurrency: true }, () => {
  it('everything the node writes is 0600 (files) / 0700 (folders), the store with its -wal too (and no -shm: exclusive locking), whatever the umask', { timeout: 60_000 }, async (t) => {
    const home = await tempHome(t);
    const cardFile = join(await tempDir(t), 'card.json');
    await writeFile(cardFile, JSON.stringify(makeCard().card));
    await pushmeshOk(['peer', 'add', cardFile, '--home', home]);
    const node = await spawnNode({ home, scope: t, args: quiet });
    const peerCard = join(home, 'peers', `${JSON.parse(await readFile(cardFile, 'utf8')).id as string}.json`);
    const expected: Record<string, number> = {
      [home]: 0o700,
      [join(home, 'peers')]: 0o700,
      [join(home, 'key.pem')]: 0o600,
      [join(home, 'auth')]: 0o600,
      [join(home, 'cert.pem')]: 0o600,
      [join(home, 'pushmesh.lock')]: 0o600,
      [join(home, 'pushmesh.db')]: 0o600,
      [join(home, 'pushmesh.db-wal')]: 0o600,
      [peerCard]: 0o600,
    };
    for (const [path, mode] of Object.entries(expected)) assert.equal(octal(await modeOf(path)), octal(mode), path);
    await assert.rejects(stat(join(home, 'pushmesh.db-shm')), { code: 'ENOENT' }, 'the WAL index is in memory (exclusive locking mode)');
    assert.equal((await readFile(join(home, 'pushmesh.lock'), 'utf8')).trim(), String(node.pid));
    assert.equal(node.logs.filter((l) => String(l.msg).includes('readable by group or others')).length, 0, 'nothing to warn about');
    assert.deepEqual(await node.stop(), { code: 0, signal: null });
    await assert.rejects(stat(join(home, 'pushmesh.lock')), { code: 'ENOENT' }, 'the lock is gone with the node');
    assert.equal(octal(await modeOf(join(home, 'pushmesh.db'))), '0600');
  });

  it('a file or folder loosened while the node was stopped is reported at the next start and set back', { timeout: 60_000 }, async (t) => {
    const home = await tempHome(t);
    const first = await spawnNode({ home, scope: t, args: quiet });
    assert.deepEqual(await first.stop(), { code: 0, signal: null });
    const loosened: Record<string, number> = {
      [join(home, 'pushmesh.db')]: 0o644,
      [join(home, 'cert.pem')]: 0o644,
      [join(home, 'auth')]: 0o640,
      [join(home, 'peers')]: 0o755,
      [home]: 0o755,
    };
    for (const [path, mode] of Object.entries(loosened)) await chmod(path, mode);
    const second = await spawnNode({ home, scope: t, args: quiet });
    const warned = (path: string): LogRecord | undefined => second.logs.find((l) => l['path'] === path && l['level'] === 40);
    for (const [path, mode] of Object.entries(loosened)) {
      const w = warned(path);
      assert.ok(w, `a warning for ${path}`);
      assert.equal(w['mode'], octal(mode));
      assert.match(String(w.msg), /readable by group or others .*set it to 0[67]00/);
      assert.equal(octal(await modeOf(path)), path === home || path.endsWith('peers') ? '0700' : '0600', `${path} set back`);
    }
    assert.equal(octal(await modeOf(join(home, 'pushmesh.db-wal'))), '0600', 'pushmesh.db-wal');
    assert.deepEqual(await second.stop(), { code: 0, signal: null });
  });

  it('a second `pushmesh run` and `init --force` on the same home are refused, naming the PID of the running node', { timeout: 60_000 }, async (t) => {
    const home = await tempHome(t);
    const node = await spawnNode({ home, scope: t, args: quiet });
    const again = await runPushmesh(['run', '--home', home, '--local', '127.0.0.1:0', ...quiet]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /^pushmesh: [^\n]+\n$/, 'one line');
    assert.match(again.stderr, new RegExp(`in use by another pushmesh \\(PID ${node.pid}\\)`));
    assert.doesNotMatch(again.stderr, STACK_FRAME);
    const init = await runPushmesh(['init', '--force', '--home', home]);
    assert.equal(init.code, 1);
    assert.match(init.stderr, new RegExp(`^pushmesh: .*PID ${node.pid}.*replace the identity`));
    // The running node kept its identity and its lock.
    assert.equal(await pushmeshOk(['id', '--home', home]), node.id);
    assert.equal((await readFile(join(home, 'pushmesh.lock'), 'utf8')).trim(), String(node.pid));
    assert.deepEqual(await node.stop(), { code: 0, signal: null });
    // Once it stopped, both work.
    assert.match(await pushmeshOk(['init', '--force', '--home', home]), /^[a-z2-7]{52}$/);
  });

  it('the lock of a process that exited is taken over, with a log line', { timeout: 60_000 }, async (t) => {
    const home = await tempHome(t);
    await pushmeshOk(['init', '--home', home]);
    const dead = await deadPid();
    await writeFile(join(home, 'pushmesh.lock'), `${dead}\n`, { mode: 0o600 });
    const node = await spawnNode({ home, scope: t, args: quiet });
    const took = node.logs.find((l) => String(l.msg).startsWith('took over the home folder lock'));
    assert.ok(took, 'a log line says so');
    assert.equal(took['pid'], dead);
    assert.equal((await readFile(join(home, 'pushmesh.lock'), 'utf8')).trim(), String(node.pid));
    assert.deepEqual(await node.stop(), { code: 0, signal: null });
  });

  it('a node killed with SIGKILL leaves a lock the next start takes over', { timeout: 60_000 }, async (t) => {
    const home = await tempHome(t);
    const first = await spawnNode({ home, scope: t, args: quiet });
    await first.kill();
    assert.equal((await readFile(join(home, 'pushmesh.lock'), 'utf8')).trim(), String(first.pid));
    const second = await spawnNode({ home, scope: t, args: quiet });
    assert.equal(second.logs.find((l) => String(l.msg).startsWith('took over the home folder lock'))?.['pid'], first.pid);
    assert.deepEqual(await second.stop(), { code: 0, signal: null });
  });

  it('in one process: a second node on the same home is refused until the first one closed', { timeout: 60_000 }, async (t) => {
    const home = await tempHome(t);
    const config = { ...defaultConfig(home), local: { host: '127.0.0.1', port: 0 }, https: null, grpc: null };
    const log = pino({ level: 'silent' });
    const a = await PushmeshNode.start(config, log);
    t.after(() => a.close());
    await assert.rejects(PushmeshNode.start(config, log), (err: Error) => err.message.includes(`(PID ${process.pid})`));
    await a.close();
    const b = await PushmeshNode.start(config, log);
    await b.close();
    await assert.rejects(stat(join(home, 'pushmesh.lock')), { code: 'ENOENT' });
  });
});
