/**
 * One run of the idle-peer memory bench, in a fresh process so that one
 * transport's garbage cannot blur the other's figure: starts a listener
 * (TRANSPORT = grpc | wss), measures this process after a full GC, has a
 * child process (idle-peers-child.ts) link N idle peers to it, measures
 * again, and prints the two measurements as one JSON line.
 */
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
import { benchNode } from './transport-fixtures.js';

const [transport, countText] = process.argv.slice(2) as ['grpc' | 'wss', string];
const count = Number(countText);
const logger = pino({ level: 'silent' });
const CHILD = fileURLToPath(new URL('./idle-peers-child.js', import.meta.url));

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
function memory(): { rss: number; heap: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers };
}

const server = await benchNode();
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
if (transport === 'grpc') {
  port = (await GrpcListener.start({ ...common, host: '127.0.0.1', port: 0 })).address!.port;
} else {
  const https = createHttpsServer({ key: server.tls.key, cert: server.tls.cert, requestCert: true, rejectUnauthorized: false });
  new WsListener(https, common);
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
  port = (https.address() as AddressInfo).port;
}
// One link first, so the measurement starts with every code path loaded and warm.
const before = await (async () => {
  const child = spawn(process.execPath, [CHILD, transport, String(port), server.id, '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  while (links.length < 1) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  await Promise.all(links.map((l) => l.closed));
  links.length = 0;
  return memory();
})();
const started = Date.now();
const child = spawn(process.execPath, [CHILD, transport, String(port), server.id, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
await allUp;
const seconds = (Date.now() - started) / 1000;
const after = memory();
process.stdout.write(JSON.stringify({ transport, count, seconds, rss: after.rss - before.rss, heap: after.heap - before.heap }) + '\n');
child.kill('SIGKILL');
process.exit(0);
