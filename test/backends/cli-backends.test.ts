import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { CLI_PATH, runPushmesh, STACK_FRAME } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';
import { freePort } from './support/pubsub-emulator.js';
import { startProcess, type StartedProcess } from './support/processes.js';
import { openSse } from '../helpers/sse.js';

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PUSHMESH_') && !k.startsWith('NODE_TEST')) env[k] = v;
  return env;
}

describe('pushmesh run with backends (real processes)', { timeout: 90_000 }, () => {
  let server: NatsServer;
  let outside: NatsConnection;
  const procs: StartedProcess[] = [];

  before(async () => {
    server = await startNatsServer();
    outside = await connect({ servers: server.url });
  });
  after(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await outside?.close();
    await server?.stop();
  });

  it('--nats with bridges from the config file: mesh → NATS and NATS → local app; SIGTERM drains and exits 0', async (t) => {
    const dir = await tempDir(t);
    const config = join(dir, 'pushmesh.yaml');
    await writeFile(
      config,
      ['local: 127.0.0.1:0', 'https: off', 'grpc: off', 'bridges:', '  - topics: "cli.*"', '    to: nats', '    mode: plaintext', 'backends:', '  nats:', '    contentMode: binary', ''].join('\n'),
    );
    const proc = startProcess(process.execPath, [CLI_PATH, 'run', '--home', join(dir, 'home'), '--config', config, '--nats', server.url], { env: cleanEnv() });
    procs.push(proc);
    await proc.waitFor(/"msg":"backends running"/, 30_000);
    const [, port] = (await proc.waitFor(/"local":"127\.0\.0\.1:(\d+)"/, 5_000)) as RegExpMatchArray;
    const api = `http://127.0.0.1:${port}`;

    const seen: Msg[] = [];
    const arrived = new Promise<void>((resolve) => outside.subscribe('pushmesh.ce.cli.>', { callback: (_e, m) => (seen.push(m), resolve()) }));
    await outside.flush();
    const res = await fetch(`${api}/msg/cli.hello`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"hi":1}' });
    assert.equal(res.status, 202);
    await arrived;
    assert.equal(seen[0]!.subject, 'pushmesh.ce.cli.hello');
    assert.equal(seen[0]!.headers?.get('ce-type'), 'cli.hello');
    assert.equal(seen[0]!.string(), '{"hi":1}');

    const app = await openSse(`${api}/msg/cli.in`);
    await jetstream(outside).publish('pushmesh.ce.cli.in', Buffer.from(JSON.stringify({ specversion: '1.0', id: 'from-outside', source: '/o', type: 'cli.in', data: [1, 2] })));
    const [m] = await app.waitForMessages<{ id: string; data: unknown }>(1, 20_000);
    assert.equal(m!.id, 'from-outside');
    assert.deepEqual(m!.data, [1, 2]);
    app.close();

    proc.child.kill('SIGTERM');
    await proc.waitFor(/"msg":"pushmesh node stopped"/, 20_000);
    await new Promise((r) => proc.child.once('exit', r));
    assert.equal(proc.child.exitCode, 0);
  });

  it('refuses bad backend settings with one line and a non-zero exit', async (t) => {
    const dir = await tempDir(t);
    const base = ['run', '--home', join(dir, 'home'), '--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off'];
    const closed = await freePort();
    const cases: Array<[string[], RegExp]> = [
      [['--bridge', 'orders.*=nats,plaintext'], /bridge "orders\.\*" goes to "nats", which is not configured \(give --nats URL\)/],
      [['--bridge', 'orders.*'], /bridge "orders\.\*" is not TOPICS=TARGET/],
      [['--bridge', 'x=nats,sideways'], /unknown option "sideways"/],
      [['--bridge', 'x=nats,encrypted,recipient=nobody', '--nats', server.url], /recipient must be a full node ID or "self"/],
      [['--bridge', `x=nats,encrypted,recipient=${'b'.repeat(52)}`, '--nats', server.url], /no card for recipient b{52}/],
      [['--nats', `nats://127.0.0.1:${closed}`], /cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+/],
    ];
    const plain = await startNatsServer({ jetstream: false });
    t.after(() => plain.stop());
    cases.push([['--nats', plain.url], /JetStream is not available on the NATS server .*: start nats-server with -js, or set backends\.nats\.jetstream: false/]);
    for (const [args, message] of cases) {
      const r = await runPushmesh([...base, ...args], { timeoutMs: 30_000 });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stdout, /pushmesh node running/, `${args.join(' ')}: a start that fails never says it is running`);
      assert.match(r.stderr.split('\n').filter((l) => l.startsWith('pushmesh: ')).join('\n'), /^pushmesh: [^\n]+$/);
      assert.doesNotMatch(r.stderr, STACK_FRAME);
    }
  });
});
