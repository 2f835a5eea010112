import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchSection } from './types.js';

const SERVER = fileURLToPath(new URL('./idle-peers-server.js', import.meta.url));

interface Measured {
  transport: 'grpc' | 'wss';
  count: number;
  seconds: number;
  rss: number;
  heap: number;
}

function run(transport: 'grpc' | 'wss', count: number): Promise<Measured> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [SERVER, transport, String(count)], { timeout: 300_000, maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err) return reject(err);
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Measured);
    });
  });
}

/**
 * What a node pays per idle connected peer: N peers (a child process,
 * each its own node with its own key) link to a listener in a fresh
 * process and stay idle; the listener's growth in RSS and in JS heap +
 * external memory after a full GC, divided by N. Each link is a real one:
 * TLS session, HTTP/2 session and ADS stream (gRPC) or WebSocket, the
 * link's queues, and a consumer waiting on it.
 */
export async function idlePeerMemory(ctx: BenchContext): Promise<BenchSection> {
  const count = Number(process.env['BENCH_IDLE_PEERS'] ?? 1000);
  const notes: string[] = [];
  for (const transport of ['grpc', 'wss'] as const) {
    const m = await run(transport, count);
    ctx.log(`  ${count} idle ${transport} peers linked in ${m.seconds.toFixed(1)} s`);
    const label = transport === 'grpc' ? 'gRPC' : 'WebSocket';
    const kib = (bytes: number): string => (bytes / count / 1024).toFixed(1);
    notes.push(
      `- ${label}: ${count} idle peers → RSS +${(m.rss / 2 ** 20).toFixed(1)} MiB (**${kib(m.rss)} KiB per peer**), JS heap + external +${(m.heap / 2 ** 20).toFixed(1)} MiB (${kib(m.heap)} KiB per peer).`,
    );
  }
  return { title: `Transports: memory per idle connected peer (${count} peers, listening side)`, rows: [], notes: [notes.join('\n')] };
}
