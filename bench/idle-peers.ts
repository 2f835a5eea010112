import { spawn } from 'node:child_process';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { PeerAuthenticator } from '../src/transport/auth/peer-authenticator.js';
import { GrpcListener } from '../src/transport/grpc/grpc-listener.js';
import { linkLimits } from '../src/transport/link-limits.js';
import type { Link } from '../src/transport/types.js';
import { WsListener } from '../src/transport/ws/ws-listener.js';
import { VapidVerifier } from '../src/webpush/index.js';
import type { BenchNode } from './transport-fixtures.js';
import type { BenchContext, BenchSection } from './types.js';

const logger = pino({ level: 'silent' });
const CHILD = fileURLToPath(new URL('./idle-peers-child.js', import.meta.url));

function collectGarbage(): void {
  setFlagsFromString('--expose_gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

/** Memory of this process (the listening node) after a full GC. */
function memory(): { rss: number; heap: number } {
  collectGarbage();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers };
}

/**
 * What a node pays per idle connected peer: N peers (a child process,
 * each with its own key) link to a listener in this process and stay
 * idle; the listener's growth in RSS and in JS heap + external memory,
 * divided by N. Each link is a real one: TLS session, HTTP/2 session and
 * ADS stream (gRPC) or WebSocket, the link's queues, a consumer waiting.
 */
export async function idlePeerMemory(ctx: BenchContext, server: BenchNode): Promise<BenchSection> {
  const count = Number(process.env['BENCH_IDLE_PEERS'] ?? 1000);
  const notes: string[] = [];
  for (const transport of ['grpc', 'wss'] as const) {
    const links: Link[] = [];
    let all!: () => void;
    const allUp = new Promise<void>((r) => (all = r));
    const common = {
      auth: new PeerAuthenticator({ selfId: server.id, tls: server.tls }),
      self: { id: server.id, card: () => server.card, version: 'bench' },
      limits: linkLimits(),
      logger,
      onLink: (l: Link) => {
        links.push(l);
        void (async () => {
          for await (const m of l.incoming) m.ack();
        })();
        if (links.length === count) all();
      },
    };
    let port: number;
    let close: () => Promise<void>;
    if (transport === 'grpc') {
      const listener = await GrpcListener.start({ ...common, host: '127.0.0.1', port: 0 });
      port = listener.address!.port;
      close = () => listener.close();
    } else {
      const https = createHttpsServer({ key: server.tls.key, cert: server.tls.cert, requestCert: true, rejectUnauthorized: false });
      const listener = new WsListener(https, { ...common, verifier: new VapidVerifier(), audiences: () => [] });
      await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
      port = (https.address() as AddressInfo).port;
      close = async () => {
        await listener.close();
        https.closeAllConnections();
        await new Promise<void>((r) => https.close(() => r()));
      };
    }
    const before = memory();
    const started = Date.now();
    const child = spawn(process.execPath, [CHILD, transport, String(port), server.id, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', r));
    await allUp;
    ctx.log(`  ${count} idle ${transport} peers linked in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const after = memory();
    child.kill('SIGKILL');
    await exited;
    await close();
    const label = transport === 'grpc' ? 'gRPC' : 'WebSocket';
    const rssKb = (after.rss - before.rss) / count / 1024;
    const heapKb = (after.heap - before.heap) / count / 1024;
    notes.push(`${label}: ${count} idle peers → RSS +${((after.rss - before.rss) / 2 ** 20).toFixed(1)} MiB (${rssKb.toFixed(1)} KiB/peer), JS heap + external +${((after.heap - before.heap) / 2 ** 20).toFixed(1)} MiB (${heapKb.toFixed(1)} KiB/peer).`);
  }
  return { title: `Transports: memory per idle connected peer (${count} peers, listening side)`, rows: [], notes };
}
