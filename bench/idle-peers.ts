import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchSection } from './types.js';

const SERVER = fileURLToPath(new URL('./idle-peers-server.js', import.meta.url));

export interface IdlePeersMeasured {
  transport: 'grpc' | 'wss';
  count: number;
  children: number;
  seconds: number;
  rss: number;
  heap: number;
  /** The listener's CPU time over the rest window (keepalives of `count` idle peers), as a share of one core. */
  restCpu: number;
  restSeconds: number;
  /** The dialing processes' CPU over the same window, summed, as a share of one core. */
  childrenRestCpu: number;
  /** `uptime` load average (1 min) when the peers were up. */
  load: number;
}

/**
 * Runs one measurement in a fresh process, with the file descriptor limit
 * raised (10,000 peers need 10,000 sockets in the listener; this machine allows 20,000 per process, hard limit): Node cannot
 * call setrlimit, so the process is started by `bash -c 'ulimit -n …; exec node …'`.
 */
export function runIdlePeers(transport: 'grpc' | 'wss', count: number, children: number, restSeconds: number): Promise<IdlePeersMeasured> {
  const cmd = `ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"`;
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', cmd, process.execPath, SERVER, transport, String(count), String(children), String(restSeconds)], { timeout: 900_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr.slice(-2000)}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as IdlePeersMeasured);
    });
  });
}

/**
 * What a node pays per idle connected peer: N peers (spread over a few
 * child processes, each peer its own node with its own key, each child
 * holding many links) link to a listener in a fresh process and stay
 * idle; the listener's growth in RSS and in JS heap + external memory
 * after a full GC, divided by N; then the listener's CPU over a rest
 * window of at least one keepalive interval (pings both ways, nothing
 * else). Each link is a real one: TLS session, HTTP/2 session and ADS
 * stream (gRPC) or WebSocket, the link's queues, and a consumer waiting
 * on it.
 *
 * BENCH_IDLE_PEERS (default 10000), BENCH_IDLE_CHILDREN (default 4),
 * BENCH_IDLE_REST_SECONDS (default 25).
 */
export async function idlePeerMemory(ctx: BenchContext): Promise<BenchSection> {
  const count = Number(process.env['BENCH_IDLE_PEERS'] ?? 10_000);
  const children = Number(process.env['BENCH_IDLE_CHILDREN'] ?? 4);
  const rest = Number(process.env['BENCH_IDLE_REST_SECONDS'] ?? 25);
  const notes: string[] = [];
  for (const transport of ['grpc', 'wss'] as const) {
    const m = await runIdlePeers(transport, count, children, rest);
    ctx.log(`  ${count} idle ${transport} peers linked in ${m.seconds.toFixed(1)} s`);
    const label = transport === 'grpc' ? 'gRPC' : 'WebSocket';
    const kib = (bytes: number): string => (bytes / count / 1024).toFixed(1);
    notes.push(
      `- ${label}: ${count} idle peers (${children} dialing processes) → RSS +${(m.rss / 2 ** 20).toFixed(1)} MiB (**${kib(m.rss)} KiB per peer**, target ≤ 40 ${m.rss / count / 1024 <= 40 ? '✅' : '❌'}), ` +
        `JS heap + external +${(m.heap / 2 ** 20).toFixed(1)} MiB (${kib(m.heap)} KiB per peer); linked in ${m.seconds.toFixed(1)} s; ` +
        `at rest the listener used ${(m.restCpu * 100).toFixed(2)} % of a core over ${m.restSeconds} s (keepalives), the dialers ${(m.childrenRestCpu * 100).toFixed(2)} %; load average ${m.load.toFixed(2)}.`,
    );
  }
  return { title: `Transports: memory per idle linked peer (${count} peers, listening side)`, rows: [], notes: [notes.join('\n')] };
}
