import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/test/examples/). */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A free loopback port to start the example's port range at (it uses base+1 … base+8). */
async function freeBase(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return Math.min(port, 65_000);
}

describe('examples/jump-chain/run.sh', { timeout: 120_000 }, () => {
  it('sends a message across two relays and shows it at B with its path (ONCE=1)', async () => {
    const child = spawn('bash', [join(PACKAGE_ROOT, 'examples/jump-chain/run.sh')], {
      env: { ...process.env, ONCE: '1', BASE_PORT: String(await freeBase()) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), 100_000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    assert.equal(code, 0, out);
    const line = out.split('\n').find((l) => l.startsWith('{"messages"'));
    assert.ok(line, out);
    const msg = (JSON.parse(line) as { messages: { data: { text: string }; path: string[] }[] }).messages[0]!;
    assert.equal(msg.data.text, 'hello across two relays');
    assert.equal(msg.path.length, 2, 'crossed R1 and R2');
    assert.match(out, /the relays' logs do not contain the text/);
  });
});
