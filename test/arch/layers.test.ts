import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/temp-dir.js';

/** The repository root, found from this compiled test (dist/test/arch/). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Cruise {
  code: number | null;
  output: string;
}

/** `depcruise src adapters` with the repository's rules (what `npm run lint:deps` runs), in `cwd`. */
function cruise(cwd: string): Promise<Cruise> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [DEPCRUISE, '--config', '.dependency-cruiser.cjs', '--output-type', 'err', 'src', 'adapters'],
      { cwd, timeout: 30_000, encoding: 'utf8', maxBuffer: 4 << 20 },
      (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== 'number') reject(err);
        else resolve({ code: err === null ? 0 : (err.code as number), output: stdout + stderr });
      },
    );
  });
}

/** The violation lines of one rule: `error <rule>: <from> → <to>`. */
function violations(output: string, rule: string): string[] {
  return output.split('\n').filter((line) => line.includes(` ${rule}: `));
}

/** A tiny project with the repository's rules, package.json and node_modules, and `files` (path → source). */
async function fixture(scope: { after(fn: () => unknown): void }, files: Record<string, string>): Promise<string> {
  const dir = await tempDir(scope, 'pushmesh-layers-');
  await copyFile(join(ROOT, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  await copyFile(join(ROOT, 'package.json'), join(dir, 'package.json'));
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true }, include: ['src', 'adapters'] }),
  );
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

describe('layer rules (.dependency-cruiser.cjs, npm run lint:deps)', () => {
  it('the source tree keeps them', async () => {
    const { code, output } = await cruise(ROOT);
    assert.equal(code, 0, output);
  });

  it('refuse upward imports, adapters reaching past the backend contract, cycles and devDependencies', async (t) => {
    const dir = await fixture(t, {
      'src/errors/index.ts': 'export class PushmeshError extends Error {}\n',
      'src/util/planted.ts': "import { PushmeshNode } from '../node/pushmesh-node.js';\nexport const planted = PushmeshNode;\n",
      'src/node/pushmesh-node.ts': "import { PushmeshError } from '../errors/index.js';\nexport class PushmeshNode extends PushmeshError {}\n",
      // Allowed: start-node.ts and cli/ choose backends from adapters/.
      'src/node/start-node.ts': "import { makeAdapter } from '../../adapters/index.js';\nexport const startNode = makeAdapter;\n",
      'src/cli/main.ts': "import { makeAdapter } from '../../adapters/index.js';\nexport const main = makeAdapter;\n",
      // Refused: any other src/ file importing adapters/.
      'src/links/link-manager.ts': "import { makeAdapter } from '../../adapters/index.js';\nexport const links = makeAdapter;\n",
      // adapters/ may use the backend contract and below, not node/.
      'src/backends/types.ts': 'export interface BackendAdapter { name: string }\n',
      'adapters/index.ts': "import type { BackendAdapter } from '../src/backends/types.js';\nexport const makeAdapter = (a: BackendAdapter): string => a.name;\n",
      'adapters/nats/nats-adapter.ts': "import { PushmeshNode } from '../../src/node/pushmesh-node.js';\nexport const nats = PushmeshNode;\n",
      // A cycle inside one layer, type-only on one side.
      'src/message/a.ts': "import type { B } from './b.js';\nexport interface A { b?: B }\n",
      'src/message/b.ts': "import type { A } from './a.js';\nexport interface B { a?: A }\n",
      // A test-only package in runtime code.
      'src/webpush/check.ts': "import fc from 'fast-check';\nexport const check = fc;\n",
      // A folder with no place in the layer order.
      'src/misc/thing.ts': "import { PushmeshError } from '../errors/index.js';\nexport const thing = PushmeshError;\n",
    });
    const { code, output } = await cruise(dir);
    assert.notEqual(code, 0, output);

    assert.deepEqual(violations(output, 'no-upward-import-from-util').length, 1, output);
    assert.match(violations(output, 'no-upward-import-from-util')[0]!, /src\/util\/planted\.ts → src\/node\/pushmesh-node\.ts/);

    const toAdapters = violations(output, 'no-src-to-adapters');
    assert.equal(toAdapters.length, 1, output);
    assert.match(toAdapters[0]!, /src\/links\/link-manager\.ts/);

    const adapters = violations(output, 'adapters-only-backend-contract-and-lower');
    assert.equal(adapters.length, 1, output);
    assert.match(adapters[0]!, /adapters\/nats\/nats-adapter\.ts → src\/node\/pushmesh-node\.ts/);

    assert.ok(violations(output, 'no-circular').some((line) => line.includes('src/message/a.ts')), output);
    assert.match(violations(output, 'no-dev-dependency-at-runtime').join('\n'), /src\/webpush\/check\.ts → .*fast-check/, output);
    assert.match(violations(output, 'no-unlayered-folder').join('\n'), /src\/misc\/thing\.ts/, output);
  });
});
