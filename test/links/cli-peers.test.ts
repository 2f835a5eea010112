import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runPushmesh, STACK_FRAME } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const OFF = ['--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off'];

describe('pushmesh run: peer options are checked before anything starts', { concurrency: true }, () => {
  for (const [url, reason] of [
    ['https://relay.example:15443', /scheme must be grpcs:\/\/ or wss:\/\//],
    ['grpcs://relay.example', /port is required/],
    ['wss://relay.example:15443/', /path must be \/ws/],
    ['grpcs://not-a-node-id@relay.example:15007', /not a full node ID/],
  ] as const) {
    it(`refuses --peer ${url} in one line`, async (t) => {
      const home = join(await tempDir(t), 'home');
      const r = await runPushmesh(['run', '--home', home, ...OFF, '--peer', url]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /^pushmesh: [^\n]+\n$/);
      assert.match(r.stderr, reason);
      assert.doesNotMatch(r.stderr, STACK_FRAME);
    });
  }

  it('refuses a trust CA file that cannot be read or holds no certificate', async (t) => {
    const dir = await tempDir(t);
    const missing = await runPushmesh(['run', '--home', join(dir, 'h1'), ...OFF, '--trust-ca', join(dir, 'absent.pem')]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /^pushmesh: cannot read the trust CA file .*absent\.pem: ENOENT\n$/);
    const junk = join(dir, 'junk.pem');
    await writeFile(junk, 'not a certificate\n');
    const bad = await runPushmesh(['run', '--home', join(dir, 'h2'), ...OFF, '--trust-ca', junk]);
    assert.match(bad.stderr, /^pushmesh: trust CA file .*junk\.pem: no PEM certificate found\n$/);
  });
});
