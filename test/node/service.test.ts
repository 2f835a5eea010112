/**
 * A node run as a service (docs/node.md "Run as a service"): the
 * documented start command, whose PID is the node itself, stops on one
 * SIGTERM to that PID and leaves nothing behind; SIGHUP reloads what can
 * change without dropping links (the allow/deny lists, trust, log level)
 * and keeps the running settings when the file is broken.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { openIdentity } from '../../src/identity/index.js';
import { CLI_PATH } from '../helpers/cli.js';
import { startInProcessNode } from '../helpers/in-process-node.js';
import { childEnv, spawnNode, type LogRecord, type NodeProcess } from '../helpers/node-process.js';
import { tempDir } from '../helpers/temp-dir.js';

/** PIDs of the processes whose command line mentions `text` (Linux /proc). */
async function processesMentioning(text: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) found.push(Number(name));
  }
  return found;
}

/** The next log line (after those seen so far) that `match` accepts. */
function nextLog(node: NodeProcess, match: (r: LogRecord) => boolean, timeoutMs = 30_000): Promise<LogRecord> {
  const from = node.logs.length;
  return node.waitForLog((r) => node.logs.indexOf(r) >= from && match(r), timeoutMs);
}

/** Sends SIGHUP to the node and resolves with the line that reports the reload's result. */
function reload(node: NodeProcess): Promise<LogRecord> {
  const done = nextLog(node, (r) => r.msg === 'reloaded' || r.msg === 'reloaded; some changes need a restart' || r.msg === 'reload failed: the running settings stay');
  process.kill(node.pid, 'SIGHUP');
  return done;
}

async function reloadCount(node: NodeProcess, result: string): Promise<number> {
  const text = await (await fetch(`${node.local}/metrics`)).text();
  const m = new RegExp(`^pushmesh_config_reloads_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(text);
  assert.ok(m, `no pushmesh_config_reloads_total{result="${result}"} in /metrics`);
  return Number(m[1]);
}

/** A home with an identity made ahead (so its ID can go in another node's lists). */
async function homeWithId(dir: string, name: string): Promise<{ home: string; id: string }> {
  const home = join(dir, name);
  await mkdir(home, { recursive: true, mode: 0o700 });
  const { identity } = await openIdentity(home);
  return { home, id: identity.id };
}

describe('a node run as a service', { concurrency: true, timeout: 120_000 }, () => {
  it('the documented start command is the node: one SIGTERM to its PID drains, exits 0 and leaves no process', async (t) => {
    const dir = await tempDir(t);
    const home = join(dir, 'service-home');
    // docs/node.md "Run as a service": from a checkout, `exec node dist/src/cli/main.js run …` (a shell that execs: its PID becomes node's).
    const script = `exec "${process.execPath}" "${CLI_PATH}" run --home "$1" --local 127.0.0.1:0 --https 127.0.0.1:0 --grpc off`;
    const child = spawn('/bin/sh', ['-c', script, 'sh', home], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    t.after(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let out = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const running = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "pushmesh node running" line; stderr: ${stderr}`)), 30_000);
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        const line = out.split('\n').find((l) => l.includes('"msg":"pushmesh node running"'));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as Record<string, unknown>);
        }
      });
      void exited.then(() => reject(new Error(`node exited before running; stderr: ${stderr}`)));
    });
    // The PID the supervisor knows is the node itself, not a shell around it.
    assert.equal(running['pid'], child.pid);
    assert.match(await readFile(`/proc/${child.pid}/cmdline`, 'utf8'), /main\.js\0run\0/);
    assert.deepEqual(await processesMentioning(home), [child.pid]);
    const local = `http://${String(running['local'])}`;
    assert.equal((await fetch(`${local}/healthz`)).status, 200);

    process.kill(child.pid!, 'SIGTERM');
    assert.deepEqual(await exited, { code: 0, signal: null });
    assert.match(out, /"msg":"draining: finishing in-flight work/);
    assert.match(out, /"msg":"pushmesh node stopped"/);
    assert.equal(stderr, '');
    assert.deepEqual(await processesMentioning(home), [], 'no process of the node remains');
    await assert.rejects(fetch(`${local}/healthz`), 'its local API port is closed');
  });

  it('a second SIGTERM during the drain stops at once, exit 0', async (t) => {
    const a = await spawnNode({ scope: t, https: 'off' });
    // An app on the local WebSocket that never answers the close: the drain waits for it (at most 2 s).
    const { port } = new URL(a.local);
    const app = connect(Number(port), '127.0.0.1');
    t.after(() => app.destroy());
    const upgraded = new Promise<void>((resolve, reject) => {
      app.once('data', (d: Buffer) => (d.toString('latin1').startsWith('HTTP/1.1 101') ? resolve() : reject(new Error(d.toString('latin1')))));
      app.once('error', reject);
    });
    app.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await upgraded;
    const draining = a.waitForLog((r) => r.msg === 'draining: finishing in-flight work (signal again to stop now)');
    process.kill(a.pid, 'SIGTERM');
    await draining;
    const now = a.waitForLog((r) => r.msg === 'stopping now');
    process.kill(a.pid, 'SIGTERM');
    await now;
    assert.deepEqual(await a.exited, { code: 0, signal: null });
    assert.ok(a.logs.some((r) => r.msg === 'pushmesh node stopped'));
  });

  it('under systemd (NOTIFY_SOCKET set): READY=1 only after the running line, STOPPING=1 at the stop, sent through systemd-notify', async (t) => {
    const dir = await tempDir(t);
    const bin = join(dir, 'bin');
    const record = join(dir, 'notified');
    await mkdir(bin);
    // A stand-in for systemd-notify that writes down what it was asked to send, and where.
    await writeFile(join(bin, 'systemd-notify'), '#!/bin/sh\nprintf "%s %s\\n" "$NOTIFY_SOCKET" "$*" >> "$RECORD"\n');
    await chmod(join(bin, 'systemd-notify'), 0o755);
    const a = await spawnNode({ scope: t, env: { PATH: `${bin}:${process.env['PATH'] ?? ''}`, NOTIFY_SOCKET: '/run/pushmesh-test/notify', RECORD: record } });
    const told = await a.waitForLog((r) => r.msg === 'told systemd the node state');
    assert.ok(a.logs.indexOf(told) > a.logs.findIndex((r) => r.msg === 'pushmesh node running'));
    assert.equal(await readFile(record, 'utf8'), '/run/pushmesh-test/notify READY=1 STATUS=running\n');
    assert.deepEqual(await a.stop(), { code: 0, signal: null });
    assert.equal(await readFile(record, 'utf8'), '/run/pushmesh-test/notify READY=1 STATUS=running\n/run/pushmesh-test/notify STOPPING=1\n');
    assert.equal(a.stderr(), '');
  });

  it('SIGHUP with a changed allow list: the next link attempt follows it, links already up stay up', async (t) => {
    const dir = await tempDir(t);
    const b = await homeWithId(dir, 'b');
    const c = await homeWithId(dir, 'c');
    const aHome = join(dir, 'a');
    await mkdir(aHome, { recursive: true, mode: 0o700 });
    await writeFile(join(aHome, 'peers.allow'), `${b.id}\n`);
    const a = await spawnNode({ home: aHome, scope: t });
    const url = `wss://${a.id}@127.0.0.1:${a.httpsPort}/ws`;
    const linkReady = (id: string) => (r: LogRecord) => r.msg === 'peer link ready' && r['peer'] === id && r['direction'] === 'inbound';

    const bUp = a.waitForLog(linkReady(b.id));
    await startInProcessNode(t, { home: b.home, peers: [url] });
    await bUp;
    const bSince = Date.now();

    await writeFile(join(aHome, 'peers.allow'), `${b.id}\n${c.id}\n`);
    const result = await reload(a);
    assert.equal(result.msg, 'reloaded');
    const cUp = a.waitForLog(linkReady(c.id));
    const cNode = await startInProcessNode(t, { home: c.home, peers: [url] });
    await cUp;

    // Taking C off again: its link is closed (the lists are checked against live links); B's stays.
    const cClosed = a.waitForLog((r) => r.msg === 'closing a peer link the access lists no longer allow' && r['peer'] === c.id);
    await writeFile(join(aHome, 'peers.allow'), `${b.id}\n`);
    assert.equal((await reload(a)).msg, 'reloaded');
    await cClosed;
    const { peers } = (await (await fetch(`${a.local}/peers`)).json()) as { peers: Array<{ id: string; connected: boolean; since: number | null }> };
    const bLinks = peers.filter((p) => p.id === b.id && p.connected);
    assert.equal(bLinks.length, 1, JSON.stringify(peers));
    assert.ok(bLinks[0]!.since! <= bSince, 'the same link as before the reloads');
    assert.equal(a.logs.filter(linkReady(b.id)).length, 1, 'B linked once: its link was never dropped');
    assert.equal(a.logs.filter((r) => r.msg === 'peer link closed' && r['peer'] === b.id).length, 0);
    assert.equal(await reloadCount(a, 'ok'), 2);
    await cNode.close();
    assert.deepEqual(await a.stop(), { code: 0, signal: null });
  });

  it('SIGHUP with a broken config file: the running settings stay, the error is logged and counted, the node runs on', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'node.yaml');
    await writeFile(file, 'logLevel: info\ntrust:\n  - app=' + 'a'.repeat(52) + '\n');
    const a = await spawnNode({ scope: t, args: ['--config', file] });

    await writeFile(file, 'logLevel: [oops\n');
    const failed = await reload(a);
    assert.equal(failed.msg, 'reload failed: the running settings stay');
    assert.equal(failed.level, 50);
    assert.match(String(failed['reason']), /node\.yaml is not valid YAML/);
    assert.equal((await fetch(`${a.local}/healthz`)).status, 200, 'the node runs on');
    assert.equal(await reloadCount(a, 'error'), 1);

    await writeFile(file, 'logLevel: info\ntrust:\n  - app=' + 'b'.repeat(52) + '\nlimits:\n  maxTtl: 60\n');
    const partial = await reload(a);
    assert.equal(partial.msg, 'reloaded; some changes need a restart');
    assert.deepEqual(partial['applied'], ['trust']);
    assert.deepEqual(partial['needRestart'], ['limits']);
    assert.ok(a.logs.some((r) => r.msg === 'signed config trust replaced' && JSON.stringify(r['trust']) === JSON.stringify({ app: ['b'.repeat(52)] })));
    assert.equal(await reloadCount(a, 'partial'), 1);

    // The log level applies to every part at once: at warn, the next reload's info lines are gone, its warning is not.
    await writeFile(file, 'logLevel: warn\ntrust:\n  - app=' + 'b'.repeat(52) + '\nlimits:\n  maxTtl: 61\n');
    assert.equal((await reload(a)).msg, 'reloaded; some changes need a restart');
    const before = a.logs.length;
    const next = reload(a);
    assert.equal((await next).msg, 'reloaded; some changes need a restart');
    assert.deepEqual(a.logs.slice(before).map((r) => r.msg), ['reloaded; some changes need a restart'], 'the info line "reloading the settings" is not written at warn');
    assert.equal(a.stderr(), '');
    assert.deepEqual(await a.stop(), { code: 0, signal: null });
  });
});
