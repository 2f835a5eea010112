/**
 * The CLI starts light (issue 16): a verb loads only what it uses, so
 * `pushmesh --help`, `id` or `status` do not load the node, its
 * backends, the xDS server or signed configs (docs/benchmarks.md "CLI
 * start"). Checked by the modules a real `pushmesh` process loads, as a
 * module loader hook records them; no timing is asserted.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CLI_PATH, pushmeshOk } from '../helpers/cli.js';
import { tempDir, tempHome } from '../helpers/temp-dir.js';

/** Module URLs (under dist/ or node_modules/) that a verb which does not run a node must not load. */
const HEAVY = [/\/dist\/src\/node\/(?!sd-notify|log-level)/, /\/dist\/adapters\//, /\/dist\/src\/xds\//, /\/dist\/src\/signed-config\/(?!names|types)/, /\/dist\/src\/links\//, /\/node_modules\/(@grpc|protobufjs|yaml|fastify|better-sqlite3|nats|@google-cloud)\//];

/** The module URLs `pushmesh args…` loads (a loader hook appends each to a file). */
async function modulesLoadedBy(dir: string, args: readonly string[]): Promise<string[]> {
  const log = join(dir, `loaded-${args[0] ?? 'none'}.txt`);
  const hooks = join(dir, 'hooks.mjs');
  const register = join(dir, 'register.mjs');
  await writeFile(hooks, `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`);
  await writeFile(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, ['--import', pathToFileURL(register).href, CLI_PATH, ...args], { timeout: 60_000 }, (err, _out, stderr) => {
      if (err && typeof err.code !== 'number') reject(new Error(`${String(err)}: ${stderr}`));
      else resolve();
    });
  });
  return (await readFile(log, 'utf8')).split('\n').filter(Boolean);
}

describe('CLI start: each verb loads what it uses', () => {
  it('--help, id, status and health load no node, backend, xDS or signed-config module; run and config sign load theirs only when they run', async (t) => {
    const dir = await tempDir(t);
    const home = await tempHome(t);
    await pushmeshOk(['init', '--home', home], { timeoutMs: 60_000 });
    for (const args of [['--help'], ['id', '--home', home], ['status', '--local', 'http://127.0.0.1:9'], ['health', '--local', 'http://127.0.0.1:9'], ['config', '--help']]) {
      const loaded = await modulesLoadedBy(dir, args);
      assert.ok(loaded.some((u) => u.endsWith('/dist/src/cli/commands/run.js')), 'every verb is registered (the hook sees the CLI modules)');
      const heavy = loaded.filter((u) => HEAVY.some((re) => re.test(u)));
      assert.deepEqual(heavy, [], `pushmesh ${args.join(' ')} loaded: ${heavy.join(', ')}`);
    }
    // The verbs that need them still get them (loaded in their action).
    const sign = await modulesLoadedBy(dir, ['config', 'sign', '--namespace', 'app', '--name', 'n', '--version', '1', '--home', home, join(dir, 'no-such-file.json')]);
    assert.ok(sign.some((u) => u.includes('/dist/src/cli/commands/config-offline.js')), 'config sign loads its implementation');
  });
});
