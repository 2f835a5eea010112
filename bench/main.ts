/**
 * `npm run bench`: runs every registered bench module and prints
 * markdown tables (stdout) ready for docs/benchmarks.md.
 *
 * Env: BENCH_SECONDS (measured seconds per comparison group, default 4),
 * BENCH_ONLY (comma-separated module names, e.g. "crypto").
 */
import { availableParallelism, cpus } from 'node:os';
import { backendsBench } from './backends.js';
import { cryptoBench } from './crypto.js';
import { drainBench } from './drain.js';
import { e2eBench } from './e2e.js';
import { signedConfigBench } from './signed-config.js';
import { inboxBench } from './inbox.js';
import { nodeBench } from './node.js';
import { replayGuardBench } from './replay-guard.js';
import { routingBench } from './routing.js';
import { transportsBench } from './transports.js';
import { xdsBench } from './xds.js';
import { targetsMet } from './ratio.js';
import { markdownTable } from './table.js';
import type { BenchContext, BenchModule } from './types.js';

/** Add new areas (transports, routing, …) here. */
const MODULES: BenchModule[] = [cryptoBench, inboxBench, nodeBench, transportsBench, signedConfigBench, backendsBench, routingBench, drainBench, replayGuardBench, e2eBench, xdsBench];

async function main(): Promise<void> {
  const seconds = Number(process.env['BENCH_SECONDS'] ?? 4);
  if (!(seconds > 0)) throw new Error('BENCH_SECONDS must be a positive number');
  const only = process.env['BENCH_ONLY']?.split(',').map((s) => s.trim()).filter(Boolean);
  const ctx: BenchContext = { seconds, log: (line) => process.stderr.write(`${line}\n`) };

  console.log(`Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${availableParallelism()}, BENCH_SECONDS=${seconds}\n`);
  let allMet = true;
  for (const module of MODULES) {
    if (only && !only.includes(module.name)) continue;
    ctx.log(`bench ${module.name} …`);
    const started = Date.now();
    for (const section of await module.run(ctx)) {
      console.log(`### ${section.title}\n`);
      if (section.rows.length > 0) console.log(`${markdownTable(section.rows)}\n`);
      for (const note of section.notes ?? []) console.log(`${note}\n`);
      allMet &&= targetsMet(section.rows);
    }
    ctx.log(`bench ${module.name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  console.log(allMet ? 'All targets met.' : 'Some targets missed (see ❌).');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
