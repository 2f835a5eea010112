import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/test/examples/). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Runs `examples/<name>/run.sh` with ONCE=1 (set up, show, stop) and
 * resolves with its exit code and everything it printed (stdout and
 * stderr). Past `timeoutMs` the script gets SIGTERM, on which it stops
 * every process it started by PID (examples/lib.sh).
 */
export async function runExampleOnce(name: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 150_000): Promise<{ code: number | null; out: string }> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PUSHMESH_') && !k.startsWith('NODE_TEST')) clean[k] = v;
  const child = spawn('bash', [join(PACKAGE_ROOT, 'examples', name, 'run.sh')], { env: { ...clean, ...env, ONCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, out };
}

/** The `{"messages":[…]}` answers (GET /msg/<topic>) the script printed, in order. */
export function printedMessages<T>(out: string): T[][] {
  return out
    .split('\n')
    .filter((l) => l.startsWith('{"messages"'))
    .map((l) => (JSON.parse(l) as { messages: T[] }).messages);
}
