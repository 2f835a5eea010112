/**
 * Child process of the idle-peer bench: dials N links to a listener (each
 * as its own node, with its own key and certificate), prints "ready",
 * then answers "cpu" on stdin with its CPU time in microseconds, and stays
 * idle until killed. Arguments: TRANSPORT PORT SERVER_ID N.
 */
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { PeerAuthenticator } from '../src/transport/auth/peer-authenticator.js';
import { GrpcDialer } from '../src/transport/grpc/grpc-dialer.js';
import { linkLimits } from '../src/transport/link-limits.js';
import type { Link } from '../src/transport/types.js';
import { WsDialer } from '../src/transport/ws/ws-dialer.js';
import { benchNode } from './transport-fixtures.js';

const [transport, portText, serverId, countText] = process.argv.slice(2) as ['grpc' | 'wss', string, string, string];
const logger = pino({ level: 'silent' });
const links: Link[] = [];
let closed = 0;

async function dialOne(): Promise<void> {
  const n = await benchNode();
  const opts = { auth: new PeerAuthenticator({ selfId: n.id, tls: n.tls }), self: { id: n.id, card: () => n.card, version: 'bench' }, limits: linkLimits(), logger };
  const dialer = transport === 'grpc' ? new GrpcDialer(opts) : new WsDialer(opts);
  for (let attempt = 0; ; attempt++) {
    try {
      const link = await dialer.dial({ transport, host: '127.0.0.1', port: Number(portText), expectedId: serverId, url: 'bench' });
      links.push(link);
      void link.closed.then(() => closed++);
      return;
    } catch (err) {
      if (attempt >= 5) throw err; // a busy listener may time a handshake out: try again a few times
    }
  }
}

const total = Number(countText);
let next = 0;
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (next < total) {
      next++;
      await dialOne();
    }
  }),
);
process.stdout.write('ready\n');
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'cpu') {
    const u = process.cpuUsage();
    process.stdout.write(`cpu ${u.user + u.system} ${links.length - closed}\n`);
  }
});
setInterval(() => undefined, 1 << 30);
