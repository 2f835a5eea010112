import { strict as assert } from 'node:assert';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pushmeshOk, runPushmesh, STACK_FRAME, type CliResult } from '../helpers/cli.js';
import { generatePrivateKey, pkcs8Pem } from '../helpers/keys.js';
import { tempDir, tempHome } from '../helpers/temp-dir.js';

/** The CLI's error contract: given exit code, nothing on stdout, exactly one "pushmesh: …" line on stderr, no stack. */
function assertOneLineError(result: CliResult, code: number, message: RegExp): void {
  assert.equal(result.code, code, `exit code; stderr: ${result.stderr}`);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^pushmesh: [^\n]+\n$/);
  assert.match(result.stderr, message);
  assert.doesNotMatch(result.stderr, STACK_FRAME);
}

describe('pushmesh errors', { concurrency: true }, () => {
  it('a key file that is not a key, or on the wrong curve, is refused in one line', async (t) => {
    const dir = await tempDir(t);
    const notKey = join(dir, 'not-a-key.pem');
    await writeFile(notKey, 'hello\n');
    assertOneLineError(await runPushmesh(['init', '--home', join(dir, 'h1'), '--import-key', notKey]), 1, /not-a-key\.pem: not a PEM private key/);

    for (const kind of ['p384', 'ed25519', 'rsa'] as const) {
      const file = join(dir, `${kind}.pem`);
      await writeFile(file, pkcs8Pem(generatePrivateKey(kind)));
      assertOneLineError(await runPushmesh(['init', '--home', join(dir, `h-${kind}`), '--import-key', file]), 1, /key is not a P-256 key/);
    }
    assertOneLineError(await runPushmesh(['init', '--home', join(dir, 'h2'), '--import-key', join(dir, 'absent.pem')]), 2, /cannot read key file .*absent\.pem \(ENOENT\)/);
  });

  it('a broken stored key, wrong curve included, is refused by id and card', async (t) => {
    const home = await tempHome(t);
    await pushmeshOk(['init', '--home', home]);
    await writeFile(join(home, 'key.pem'), 'garbage', { mode: 0o600 });
    assertOneLineError(await runPushmesh(['id', '--home', home]), 1, /key\.pem: not a PEM private key/);
    await writeFile(join(home, 'key.pem'), pkcs8Pem(generatePrivateKey('p384')), { mode: 0o600 });
    assertOneLineError(await runPushmesh(['card', '--home', home]), 1, /key is not a P-256 key/);
  });

  it('a world-readable key gives the path and a chmod 600 hint', { skip: process.platform === 'win32' }, async (t) => {
    const home = await tempHome(t);
    await pushmeshOk(['init', '--home', home]);
    const keyFile = join(home, 'key.pem');
    await chmod(keyFile, 0o644);
    assertOneLineError(await runPushmesh(['id', '--home', home]), 1, new RegExp(`key file ${keyFile} .*chmod 600 ${keyFile}`));
  });

  it('PUSHMESH_DEBUG=1 adds the stack trace', async (t) => {
    const home = await tempHome(t);
    await pushmeshOk(['init', '--home', home]);
    await chmod(join(home, 'key.pem'), 0o644);
    const result = await runPushmesh(['id', '--home', home], { env: { PUSHMESH_DEBUG: '1' } });
    assert.equal(result.code, 1);
    assert.match(result.stderr, STACK_FRAME);
  });

  it('usage errors exit 2 with one line: unknown verb, unknown option, missing argument, bad --auth', async (t) => {
    const home = await tempHome(t);
    assertOneLineError(await runPushmesh(['frobnicate']), 2, /unknown command 'frobnicate'/);
    assertOneLineError(await runPushmesh(['id', '--nope']), 2, /unknown option '--nope'/);
    assertOneLineError(await runPushmesh(['peer', 'add']), 2, /missing required argument 'source'/);
    assertOneLineError(await runPushmesh(['init', '--home', home, '--auth', 'AAAA']), 2, /auth secret: must decode to 16 bytes \(got 3\)/);
    assertOneLineError(await runPushmesh(['card', '--home', home, '--advertise', 'http://plain.example']), 2, /must be an https:\/\/ URL/);
  });

  it('--help and --version exit 0 on stdout; no verb shows help and exits 2', async () => {
    const help = await runPushmesh(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: pushmesh/);
    for (const verb of ['init', 'id', 'card', 'peer']) assert.match(help.stdout, new RegExp(`\\b${verb}\\b`));
    const version = await runPushmesh(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
    const none = await runPushmesh([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Usage: pushmesh/);
  });
});
