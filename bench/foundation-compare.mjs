// One-off, same-run comparison of two builds of pushmesh, both in-process (docs/benchmarks.md, "Node (issue 3)"):
//   BEFORE=/path/to/old/checkout AFTER=$PWD node bench/foundation-compare.mjs
// Each root must hold a built dist/. Prints messages/s of each and the median per-round ratio.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, Agent } from 'node:http';
import { pino } from 'pino';
import { measureGroup } from '../dist/bench/harness.js';
const W = 32;
async function pair(root) {
  const { resolveConfig } = await import(`${root}/dist/src/config/index.js`);
  const { PeerStore } = await import(`${root}/dist/src/identity/index.js`);
  const { PushmeshNode } = await import(`${root}/dist/src/node/pushmesh-node.js`);
  const dir = await mkdtemp(join(tmpdir(), 'pm-ba-'));
  const layer = { local: '127.0.0.1:0', https: '127.0.0.1:0', grpc: 'off', logLevel: 'silent' };
  const logger = pino({ level: 'silent' });
  const b = await PushmeshNode.start(resolveConfig(join(dir, 'b'), [layer]), logger);
  await new PeerStore(join(dir, 'a')).add(b.card());
  const a = await PushmeshNode.start(resolveConfig(join(dir, 'a'), [layer]), logger);
  const agent = new Agent({ keepAlive: true, maxSockets: W });
  const waiting = new Map(); let seq = 0;
  const stream = await new Promise((res) => request({ host: '127.0.0.1', port: b.addresses.local.port, path: '/msg/p', headers: { accept: 'text/event-stream' } }, res).end());
  stream.setEncoding('utf8'); let buf = '';
  stream.on('data', (c) => { buf += c; let i; while ((i = buf.indexOf('\n\n')) >= 0) { const blk = buf.slice(0, i); buf = buf.slice(i + 2); const d = blk.split('\n').find((l) => l.startsWith('data: ')); if (d) { const n = JSON.parse(d.slice(6)).data.n; waiting.get(n)?.(); waiting.delete(n); } } });
  const pad = 'x'.repeat(900);
  const post = (n) => new Promise((res) => { waiting.set(n, res); const r = request({ host: '127.0.0.1', port: a.addresses.local.port, path: `/msg/p?to=${b.identity.id}`, method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (s) => s.resume()); r.end(JSON.stringify({ n, pad })); });
  return { burst: () => Promise.all(Array.from({ length: W }, () => post(seq++))) };
}
const before = await pair(process.env.BEFORE ?? '/tmp/pm-before');
const after = await pair(process.env.AFTER ?? process.cwd());
const [b, a] = await measureGroup([
  { name: 'before', fn: before.burst, async: true },
  { name: 'after', fn: after.burst, async: true },
], { seconds: Number(process.env.S ?? 10), sliceMs: 250, warmupMs: 500 });
const ratios = b.slices.map((x, i) => a.slices[i] / x).sort((x, y) => x - y);
console.log(`before ${Math.round(b.opsPerSec * W)} msg/s, after ${Math.round(a.opsPerSec * W)} msg/s, ratio (median per round) ${ratios[ratios.length >> 1].toFixed(2)}×`);
process.exit(0);
