import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/package-root.js';

/** Writes each process's JSON log lines to test/artifacts/<name>-<process>.log (for a failed test's post-mortem). */
export async function saveLogs(name: string, processes: Record<string, { logs: ReadonlyArray<Record<string, unknown>> }>): Promise<void> {
  const dir = join(packageRoot(), 'test', 'artifacts');
  await mkdir(dir, { recursive: true });
  for (const [what, p] of Object.entries(processes)) await writeFile(join(dir, `${name}-${what}.log`), p.logs.map((l) => JSON.stringify(l)).join('\n') + '\n');
}
