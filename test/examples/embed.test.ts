/**
 * pushmesh as a library (docs/library.md): the embedding example runs as a
 * user would run it, the package's exports resolve by name, `startNode`
 * starts what the config names (a real nats-server), and settings a start
 * would not honour are refused with a typed error instead of ignored.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { startNatsServer } from '../backends/support/nats-server.js';
import { tempDir, tempHome } from '../helpers/temp-dir.js';
import { PACKAGE_ROOT } from './run-example.js';

describe('pushmesh as a library', () => {
  it('examples/embed/embed.mjs: two embedded nodes, B → A over a gRPC link, both stop; a silent logger by default', async (t) => {
    const dir = await tempDir(t);
    const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'examples', 'embed', 'embed.mjs'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    assert.equal(code, 0, `exit ${code}\n${out}\n${err}`);
    const lines = out.trim().split('\n');
    const a = /^node A (\S+)$/.exec(lines[0] ?? '')?.[1];
    assert.ok(a, out);
    const b = /^node B (\S+),/.exec(lines[1] ?? '')?.[1];
    assert.ok(b, out);
    assert.match(out, new RegExp(`A received \\S+ from ${b}: \\{"hello":"from B"\\}`));
    assert.equal(lines.at(-1), 'both nodes stopped');
    assert.equal(err, '', 'nothing on stderr: no logger given, nothing logged');
    assert.ok(!out.includes('"level"'), 'no log lines on stdout either');
  });

  it("exports 'pushmesh' and 'pushmesh/adapters' by name (package self-reference, as a program that installed it)", async () => {
    const lib = (await import('pushmesh' as string)) as Record<string, unknown>;
    for (const name of ['PushmeshNode', 'startNode', 'nodeConfig', 'LocalBus', 'PushmeshError', 'builtinTransports', 'memoryTransport', 'MemoryNetwork']) {
      assert.equal(typeof lib[name], 'function', `pushmesh exports ${name}`);
    }
    const adapters = (await import('pushmesh/adapters' as string)) as Record<string, unknown>;
    for (const name of ['startBackends', 'createAdapters', 'createFabric']) assert.equal(typeof adapters[name], 'function', `pushmesh/adapters exports ${name}`);
  });

  it('startNode starts the NATS backend the config names and stops it with the node; PushmeshNode.start refuses such a config (ERR_CONFIG), not ignores it', async (t) => {
    const { startNode, nodeConfig, PushmeshNode } = (await import('pushmesh' as string)) as typeof import('../../src/index.js');
    const nats = await startNatsServer();
    t.after(() => nats.stop());
    const config = nodeConfig(await tempHome(t), { local: '127.0.0.1:0', https: 'off', grpc: 'off', nats: [nats.url], bridges: [{ topics: 'lib.*', to: 'nats', mode: 'plaintext' }] });
    await assert.rejects(PushmeshNode.start(config), (e: Error & { code?: string }) => e.code === 'ERR_CONFIG' && /startNode\(\)/.test(e.message));
    const node = await startNode(config);
    // The bridge really runs: a message an app posts on a bridged topic reaches a NATS subscriber.
    const outside = await connect({ servers: nats.url, name: 'embed-test' });
    t.after(() => outside.close());
    const sub = outside.subscribe('pushmesh.>', { max: 1 });
    await outside.flush();
    const posted = await fetch(`http://127.0.0.1:${node.addresses.local.port}/msg/lib.hello`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
    assert.equal(posted.status, 202);
    for await (const m of sub) assert.match(m.subject, /lib\.hello/);
    await node.drain();
    // The home is free again: the backends and the lock went with the drain.
    const again = await startNode(config);
    await again.close();
  });

  it('a start that cannot reach its backend fails, stops the node and frees its home; unknown settings are ERR_CONFIG', async (t) => {
    const { startNode, nodeConfig } = (await import('pushmesh' as string)) as typeof import('../../src/index.js');
    const home = await tempHome(t);
    assert.throws(() => nodeConfig(home, { locall: '127.0.0.1:0' }), (e: Error & { code?: string }) => e.code === 'ERR_CONFIG' && /unknown setting "locall"/.test(e.message));
    const bad = nodeConfig(home, { local: '127.0.0.1:0', https: 'off', grpc: 'off', nats: ['nats://127.0.0.1:1'] });
    await assert.rejects(startNode(bad));
    const ok = await startNode(nodeConfig(home, { local: '127.0.0.1:0', https: 'off', grpc: 'off' }));
    await ok.close();
  });
});
