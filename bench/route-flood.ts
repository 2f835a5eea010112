/**
 * Issue 12: memory of a relay while a linked stranger floods it with route
 * announcements (22,019 routes to throwaway nodes, as the issue found it).
 * The relay runs alone in a fresh process (`--expose-gc`), a real
 * PushmeshNode listening for gRPC links on loopback; the stranger (this
 * process, test/routing/route-flood.ts) links to it and sends the routes
 * as unnumbered changes, 8 per sealed message. Measured in the relay
 * after a full GC, before and after: RSS, JS heap + external, routes in
 * its table, size of `GET /routes`. Two cases: the default limits, and
 * every route limit lifted to 10^9 (what a node did before the limits).
 *
 *   npx tsc -p . && node dist/bench/route-flood.js [ROUTES]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { defaultConfig, type NodeConfig } from '../src/config/index.js';
import { PushmeshNode } from '../src/node/pushmesh-node.js';
import type { RouteLimits } from '../src/routing/route-limits.js';
import { flood, linkedTo, startStranger } from '../test/routing/route-flood.js';

interface Sample {
  rss: number;
  heap: number;
  routes: number;
  routesBytes: number;
}

const SELF = fileURLToPath(import.meta.url);
const MiB = 2 ** 20;

/** Child mode: a relay that answers "measure" on stdin with a Sample on stdout. */
async function relay(limits: Partial<RouteLimits>): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'pushmesh-flood-'));
  const config: NodeConfig = { ...defaultConfig(home), local: { host: '127.0.0.1', port: 0 }, https: null, grpc: { host: '127.0.0.1', port: 0 }, advertise: 'https://127.0.0.1:9', logLevel: 'silent' };
  config.routing = { ...config.routing, ...limits };
  const node = await PushmeshNode.start(config, pino({ level: 'silent' }));
  process.stdout.write(JSON.stringify({ id: node.id, url: `grpcs://${node.id}@127.0.0.1:${node.addresses.grpc!.port}` }) + '\n');
  const gc = (globalThis as { gc?: () => void }).gc!;
  for await (const line of createInterface({ input: process.stdin })) {
    if (line !== 'measure') continue;
    await new Promise((r) => setTimeout(r, 200));
    gc();
    gc();
    const m = process.memoryUsage();
    const table = node.routes();
    const sample: Sample = { rss: m.rss, heap: m.heapUsed + m.external, routes: table.filter((r) => r.kind === 'announced').length, routesBytes: JSON.stringify({ routes: table }).length };
    process.stdout.write(JSON.stringify(sample) + '\n');
  }
  await node.close();
  await rm(home, { recursive: true, force: true });
}

async function runCase(name: string, limits: Partial<RouteLimits>, routes: number): Promise<string> {
  const child = spawn(process.execPath, ['--expose-gc', SELF, 'relay', JSON.stringify(limits)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async <T>(): Promise<T> => JSON.parse(String((await lines.next()).value)) as T;
  const home = await mkdtemp(join(tmpdir(), 'pushmesh-stranger-'));
  try {
    const { id, url } = await next<{ id: string; url: string }>();
    const stranger = await startStranger(home, url);
    try {
      await linkedTo(stranger, id);
      child.stdin!.write('measure\n');
      const before = await next<Sample>();
      const t0 = performance.now();
      await flood(stranger, id, { routes, style: 'changes' });
      const seconds = (performance.now() - t0) / 1000;
      child.stdin!.write('measure\n');
      const after = await next<Sample>();
      const mb = (b: number): string => (b / MiB).toFixed(1);
      process.stderr.write(`  ${name}: ${routes} routes in ${seconds.toFixed(1)} s\n`);
      return `| ${name} | ${after.routes.toLocaleString('en')} | ${mb(before.rss)} → ${mb(after.rss)} (+${mb(after.rss - before.rss)}) | ${mb(before.heap)} → ${mb(after.heap)} (+${mb(after.heap - before.heap)}) | ${(after.routesBytes / 1024).toFixed(1)} KiB | ${seconds.toFixed(1)} |`;
    } finally {
      await stranger.close();
    }
  } finally {
    child.stdin!.end();
    await new Promise((r) => child.once('exit', r));
    await rm(home, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === 'relay') return relay(JSON.parse(process.argv[3] ?? '{}') as Partial<RouteLimits>);
  const routes = Number(process.argv[2] ?? 22_019);
  const lifted: Partial<RouteLimits> = { maxRoutesPerPeer: 1e9, maxRoutesPerUnlistedPeer: 1e9, maxRoutes: 1e9, announcementsPerMinute: 1e9 };
  const rows = [await runCase('limits lifted (10^9: as before issue 12)', lifted, routes), await runCase('default limits', {}, routes)];
  const ratioNote = `(${routes.toLocaleString('en')} routes announced by one linked stranger, ${Math.ceil(routes / 8)} messages)`;
  process.stdout.write(
    [`Relay memory under a route-announcement flood ${ratioNote}`, '', '| relay | routes kept | RSS MiB before → after | JS heap + external MiB before → after | GET /routes | flood s |', '|---|---:|---|---|---:|---:|', ...rows, ''].join('\n'),
  );
}

await main();
