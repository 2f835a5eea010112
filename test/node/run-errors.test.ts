import { strict as assert } from 'node:assert';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runPushmesh, STACK_FRAME, type CliResult } from '../helpers/cli.js';
import { spawnNode } from '../helpers/node-process.js';
import { tempDir } from '../helpers/temp-dir.js';

/** `pushmesh run` that cannot start: non-zero exit, one line on stderr, no stack. */
function assertFailsInOneLine(r: CliResult, message: RegExp): void {
  assert.notEqual(r.code, 0, `exit code; stderr: ${r.stderr}`);
  assert.equal(r.signal, null);
  assert.match(r.stderr, /^pushmesh: [^\n]+\n$/, r.stderr);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, STACK_FRAME);
}

async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

const run = (home: string, ...args: string[]) => runPushmesh(['run', '--home', home, '--local', '127.0.0.1:0', '--https', '127.0.0.1:0', '--grpc', 'off', ...args], { timeoutMs: 20_000 });

describe('pushmesh run: start-up errors and configuration', { concurrency: true, timeout: 60_000 }, () => {
  it('a port already in use (local API or HTTPS) is a one-line error', async (t) => {
    const dir = await tempDir(t);
    const { server, port } = await listening();
    t.after(() => new Promise((resolve) => server.close(resolve)));
    assertFailsInOneLine(await run(join(dir, 'h'), '--local', `127.0.0.1:${port}`), new RegExp(`local API address 127\\.0\\.0\\.1:${port} is already in use`));
    assertFailsInOneLine(await run(join(dir, 'h'), '--https', `127.0.0.1:${port}`), new RegExp(`HTTPS address 127\\.0\\.0\\.1:${port} is already in use`));
  });

  it('a home that cannot be read is a one-line error', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'not-a-folder');
    await writeFile(file, 'x');
    assertFailsInOneLine(await run(file), /not-a-folder.*ENOTDIR/);
    if (process.getuid?.() !== 0) {
      // (root reads any folder, so this case only runs as another user)
      const locked = join(dir, 'locked');
      await mkdir(locked, { mode: 0o700 });
      await chmod(locked, 0o000);
      t.after(() => chmod(locked, 0o700));
      assertFailsInOneLine(await run(locked), /locked.*EACCES/);
    }
  });

  it('a bad config file (YAML syntax, unknown key, bad value) or a bad variable is a one-line error', async (t) => {
    const dir = await tempDir(t);
    const home = join(dir, 'h');
    const write = async (name: string, text: string) => {
      await writeFile(join(dir, name), text);
      return join(dir, name);
    };
    assertFailsInOneLine(await run(home, '--config', await write('syntax.yaml', 'local: [oops\n')), /syntax\.yaml is not valid YAML/);
    assertFailsInOneLine(await run(home, '--config', await write('key.yaml', 'locall: 127.0.0.1:0\n')), /unknown setting "locall"/);
    assertFailsInOneLine(await run(home, '--config', await write('limit.yaml', 'limits:\n  maxTtl: -1\n')), /limits\.maxTtl must be a positive integer/);
    assertFailsInOneLine(await run(home, '--config', join(dir, 'absent.yaml')), /cannot read config file .*absent\.yaml: ENOENT/);
    const env = await runPushmesh(['run', '--home', home, '--https', '127.0.0.1:0', '--grpc', 'off'], { env: { PUSHMESH_LOCAL: 'bogus' } });
    assertFailsInOneLine(env, /local API address: "bogus" is not HOST:PORT/);
  });

  it('flags beat PUSHMESH_* variables, which beat the config file', async (t) => {
    const dir = await tempDir(t);
    const config = join(dir, 'node.yaml');
    // The file alone would fail (bad log level); the variable overrides it; a bad variable is overridden by the flag.
    await writeFile(config, 'logLevel: chatty\nhttps: 127.0.0.1:0\ngrpc: off\nlocal: 127.0.0.1:0\n');
    const fileOnly = await runPushmesh(['run', '--home', join(dir, 'h'), '--config', config]);
    assertFailsInOneLine(fileOnly, /log level "chatty"/);

    const node = await spawnNode({
      home: join(dir, 'h'),
      env: { PUSHMESH_CONFIG: config, PUSHMESH_LOG_LEVEL: 'debug', PUSHMESH_LOCAL: 'bogus' },
      args: [],
      scope: t,
    });
    // --local from the flag won over PUSHMESH_LOCAL; PUSHMESH_LOG_LEVEL=debug won over the file.
    assert.match(node.local, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(node.logs.some((r) => r.level === 20), 'debug lines are logged');
    assert.deepEqual(await node.stop('SIGTERM'), { code: 0, signal: null });
  });

  it('SIGINT drains and exits 0 as SIGTERM does; logs carry no secrets', async (t) => {
    const node = await spawnNode({ scope: t, args: ['--log-level', 'trace'] });
    const exit = await node.stop('SIGINT');
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.equal(node.stderr(), '');
    const all = JSON.stringify(node.logs);
    const key = await readFile(join(node.home, 'key.pem'), 'utf8');
    const auth = (await readFile(join(node.home, 'auth'), 'utf8')).trim();
    assert.ok(!all.includes(key.split('\n')[1]!), 'private key not logged');
    assert.ok(!all.includes(auth), 'auth secret not logged');
    assert.ok(node.logs.some((r) => r.msg === 'pushmesh node stopped'));
  });
});
