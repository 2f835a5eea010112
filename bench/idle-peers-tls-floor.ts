/**
 * The floor under every link's memory: what a bare mutual-TLS connection
 * (no HTTP/2, no WebSocket, no link) costs the listening process once it
 * is idle. A child process opens N connections with a client certificate
 * (16 handshakes at a time), writes 200 bytes on each, and keeps them
 * open; the listener's RSS and JS heap + external growth after a full GC,
 * divided by N, are printed as one JSON line.
 *
 *   node dist/bench/idle-peers-tls-floor.js N [tickets|no-tickets|tls12]
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { gcMemory } from './gc-memory.js';
import { benchNode } from './transport-fixtures.js';

const [role, a1, a2] = process.argv.slice(2);

if (role === 'child') {
  const port = Number(a1);
  const n = Number(a2);
  const node = await benchNode();
  const sockets: TLSSocket[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < n) {
        next++;
        await new Promise<void>((resolve, reject) => {
          const s = connect({ host: '127.0.0.1', port, key: node.tls.key, cert: node.tls.cert, rejectUnauthorized: false }, () => {
            s.write(Buffer.alloc(200));
            sockets.push(s);
            resolve();
          });
          s.on('error', reject);
        });
      }
    }),
  );
  setInterval(() => undefined, 1 << 30);
} else {
  const n = Number(role ?? 2000);
  const variant = a1 ?? 'tickets';
  const memory = gcMemory;
  const node = await benchNode();
  const sockets: TLSSocket[] = [];
  let count = 0;
  let all!: () => void;
  const allIn = new Promise<void>((r) => (all = r));
  const server = createServer(
    {
      key: node.tls.key,
      cert: node.tls.cert,
      requestCert: true,
      rejectUnauthorized: false,
      noDelay: true,
      ...(variant === 'no-tickets' ? { secureOptions: constants.SSL_OP_NO_TICKET } : {}),
      ...(variant === 'tls12' ? { maxVersion: 'TLSv1.2' as const } : {}),
    },
    (s) => {
      sockets.push(s);
      s.once('data', () => {
        if (++count === n) all();
      });
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const before = memory();
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'child', String((server.address() as AddressInfo).port), String(n)], { stdio: ['ignore', 'ignore', 'inherit'] });
  await allIn;
  await new Promise((r) => setTimeout(r, 500));
  const after = memory();
  process.stdout.write(
    JSON.stringify({ n, variant, rssKiBPerConnection: +((after.rss - before.rss) / n / 1024).toFixed(1), heapKiBPerConnection: +((after.heap - before.heap) / n / 1024).toFixed(1) }) + '\n',
  );
  child.kill('SIGKILL');
  process.exit(0);
}
