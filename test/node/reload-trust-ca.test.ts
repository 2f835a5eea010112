/**
 * SIGHUP with a new trust CA (docs/node.md "Reload (SIGHUP)"): a node whose
 * peers.allow admits no one by ID refuses a CA-issued peer until its
 * config names the CA; after the reload the peer's next link attempt is
 * taken, without a restart. The CA and the peer's certificate are made
 * with the real openssl, as docs/identity.md shows.
 */
import { strict as assert } from 'node:assert';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pushmeshOk } from '../helpers/cli.js';
import { spawnNode, type LogRecord, type NodeProcess } from '../helpers/node-process.js';
import { makeOpensslCa } from '../helpers/openssl-ca.js';
import { tempDir } from '../helpers/temp-dir.js';

const SLOW = { timeoutMs: 60_000 };

function reload(node: NodeProcess): Promise<LogRecord> {
  const from = node.logs.length;
  const done = node.waitForLog((r) => node.logs.indexOf(r) >= from && /^reload/.test(r.msg ?? '') && r.msg !== 'reloading the settings');
  process.kill(node.pid, 'SIGHUP');
  return done;
}

describe('SIGHUP: a new trust CA', { timeout: 120_000 }, () => {
  it('a CA-issued peer refused before the reload links after it; nothing restarts', async (t) => {
    const dir = await tempDir(t);
    const ca = await makeOpensslCa(join(dir, '.'));
    // B: a node whose certificate the CA issued (init, cert request, openssl signs, init --cert).
    const bHome = join(dir, 'b');
    const bId = await pushmeshOk(['init', '--home', bHome], SLOW);
    const csr = await pushmeshOk(['cert', 'request', '--home', bHome], SLOW);
    await pushmeshOk(['init', '--home', bHome, '--cert', await ca.sign(csr + '\n', { name: 'b', san: bId })], SLOW);

    // A: an allow list that names no one (only CA-signed peers could come in), no trust CA yet.
    const aHome = join(dir, 'a');
    await mkdir(aHome, { mode: 0o700 });
    await writeFile(join(aHome, 'peers.allow'), '# nobody by ID\n');
    const file = join(dir, 'a.yaml');
    await writeFile(file, 'logLevel: info\n');
    const a = await spawnNode({ home: aHome, scope: t, args: ['--config', file] });
    const url = `wss://${a.id}@127.0.0.1:${a.httpsPort}/ws`;

    const refused = a.waitForLog((r) => r.msg === 'WebSocket peer refused');
    const before = await spawnNode({ home: bHome, scope: t, https: 'off', args: ['--peer', url] });
    assert.match(String((await refused)['reason']), /not on the allow list/);
    const beforeExit = await before.stop();
    assert.deepEqual(beforeExit, { code: 0, signal: null }, before.stderr() + JSON.stringify(before.logs.slice(-5)));

    await writeFile(file, `logLevel: info\ntrustCa: ${ca.certFile}\n`);
    const r = await reload(a);
    assert.equal(r.msg, 'reloaded');
    assert.deepEqual(r['applied'], ['trustCa']);

    const linked = a.waitForLog((l) => l.msg === 'peer link ready' && l['peer'] === bId && l['direction'] === 'inbound');
    const after = await spawnNode({ home: bHome, scope: t, https: 'off', args: ['--peer', url] });
    await linked;
    assert.deepEqual(await after.stop(), { code: 0, signal: null });
    assert.equal(a.logs.filter((l) => l.msg === 'pushmesh node running').length, 1, 'A never restarted');
    assert.deepEqual(await a.stop(), { code: 0, signal: null });
  });
});
