/**
 * One run of the idle-peer bench, in a fresh process (started with a
 * raised file descriptor limit, see idle-peers.ts) so that one
 * transport's garbage cannot blur the other's figure: starts a listener
 * (TRANSPORT = grpc | wss), measures this process after a full GC, has
 * CHILDREN child processes (idle-peers-child.ts) link N idle peers to it
 * between them, measures again, then measures its CPU (and the
 * children's) over REST_SECONDS of rest — keepalives only — and prints
 * one JSON line. Arguments: TRANSPORT N CHILDREN REST_SECONDS.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { pushServerTls } from '../src/transport/https/push-server.js';
import { PeerAuthenticator } from '../src/transport/auth/peer-authenticator.js';
import { GrpcListener } from '../src/transport/grpc/grpc-listener.js';
import { linkLimits } from '../src/transport/link-limits.js';
import type { Link } from '../src/transport/types.js';
import { WsListener } from '../src/transport/ws/ws-listener.js';
import { gcMemory } from './gc-memory.js';
import { benchNode } from './transport-fixtures.js';

const [transport, countText, childrenText, restText] = process.argv.slice(2) as ['grpc' | 'wss', string, string, string];
const count = Number(countText);
const childCount = Math.max(1, Number(childrenText ?? 1));
const restSeconds = Number(restText ?? 0);
const logger = pino({ level: 'silent' });
const CHILD = fileURLToPath(new URL('./idle-peers-child.js', import.meta.url));

const memory = gcMemory;

type Child = ChildProcessByStdio<Writable, Readable, null>;
/** A dialing child with the same raised descriptor limit (each holds thousands of sockets). */
function spawnChild(port: number, n: number): { child: Child; lines: AsyncIterator<string> } {
  const child = spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"', process.execPath, CHILD, transport, String(port), server.id, String(n)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return { child, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator]() };
}

const server = await benchNode();
const links: Link[] = [];
let waitingFor = 0;
let reached: (() => void) | null = null;
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
    if (links.length >= waitingFor) reached?.();
  },
};
const linked = (n: number): Promise<void> => {
  waitingFor = n;
  return links.length >= n ? Promise.resolve() : new Promise<void>((r) => (reached = r));
};
let port: number;
if (transport === 'grpc') {
  port = (await GrpcListener.start({ ...common, host: '127.0.0.1', port: 0 })).address!.port;
} else {
  // The node's HTTPS server's TLS options (no session tickets unless BENCH_IDLE_HTTPS_TICKETS=1, as httpsSessionTickets).
  const sessionTickets = process.env['BENCH_IDLE_HTTPS_TICKETS'] === '1';
  const https = createHttpsServer({ ...pushServerTls({ key: server.tls.key, cert: server.tls.cert, sessionTickets }), noDelay: true });
  new WsListener(https, common);
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
  port = (https.address() as AddressInfo).port;
}
// One link first, so the measurement starts with every code path loaded and warm.
const before = await (async () => {
  const { child } = spawnChild(port, 1);
  await linked(1);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  await Promise.all(links.map((l) => l.closed));
  links.length = 0;
  return memory();
})();
const started = Date.now();
const kids = Array.from({ length: childCount }, (_, i) => spawnChild(port, Math.floor(count / childCount) + (i < count % childCount ? 1 : 0)));
await linked(count);
for (const k of kids) await k.lines.next(); // "ready"
const seconds = (Date.now() - started) / 1000;
const after = memory();
const load = loadavg()[0]!;

async function childrenCpu(): Promise<number> {
  let sum = 0;
  for (const k of kids) {
    k.child.stdin.write('cpu\n');
    const line = (await k.lines.next()).value as string;
    sum += Number(line.split(' ')[1]);
  }
  return sum;
}
let restCpu = 0;
let childrenRestCpu = 0;
if (restSeconds > 0) {
  const c0 = process.cpuUsage();
  const k0 = await childrenCpu();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, restSeconds * 1000));
  const c1 = process.cpuUsage(c0);
  const k1 = await childrenCpu();
  const wall = (performance.now() - t0) * 1000;
  restCpu = (c1.user + c1.system) / wall;
  childrenRestCpu = (k1 - k0) / wall;
}
const open = links.filter((l) => !(l as unknown as { isClosed: boolean }).isClosed).length;
process.stdout.write(
  JSON.stringify({ transport, count, children: childCount, seconds, rss: after.rss - before.rss, heap: after.heap - before.heap, restCpu, restSeconds, childrenRestCpu, load, open }) + '\n',
);
for (const k of kids) k.child.kill('SIGKILL');
process.exit(0);
