/**
 * What the protocol layer above TLS costs an idle listener per
 * connection, without TLS (plain TCP on 127.0.0.1) and without any
 * pushmesh code, to split the idle-peer figure (docs/benchmarks.md,
 * "10,000 peers") into its parts. A child process opens N connections (16
 * at a time) and keeps them idle; the listener's RSS and JS heap +
 * external growth after a full GC, divided by N, are printed as one JSON
 * line. Kinds:
 *
 * - `tcp`: a bare socket, 200 bytes each way;
 * - `h2`: a Node HTTP/2 session (as grpc-js's server gets one) with one
 *   request stream open, headers answered, 200 bytes of DATA each way
 *   (an idle ADS stream); server settings as grpc-js sets them;
 * - `ws`: an HTTP/1.1 upgrade to a `ws` WebSocket (no compression,
 *   maxPayload 4 MiB, as WsListener), one 200-byte binary message each way.
 *
 *   [BENCH_H2_OPTIONS='{"settings":{…}}'] node dist/bench/idle-peers-proto-floor.js N tcp|h2|ws
 */
import { spawn } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import * as http2 from 'node:http2';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { gcMemory } from './gc-memory.js';
import { WebSocket, WebSocketServer } from 'ws';

const [role, a1, a2, a3] = process.argv.slice(2);
const held: unknown[] = [];

async function inParallel(n: number, one: () => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < n) {
        next++;
        await one();
      }
    }),
  );
}

if (role === 'child') {
  const kind = a1!;
  const port = Number(a2);
  const n = Number(a3);
  if (kind === 'tcp') {
    await inParallel(n, () => new Promise<void>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => s.write(Buffer.alloc(200)));
      s.once('data', () => resolve());
      s.on('error', reject);
      held.push(s);
    }));
  } else if (kind === 'h2') {
    await inParallel(n, () => new Promise<void>((resolve, reject) => {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on('error', reject);
      const stream = session.request({ ':method': 'POST', ':path': '/x', 'content-type': 'application/grpc', te: 'trailers' });
      stream.write(Buffer.alloc(200));
      stream.once('data', () => resolve());
      stream.on('error', reject);
      held.push(session, stream);
    }));
  } else {
    await inParallel(n, () => new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
      ws.on('open', () => ws.send(Buffer.alloc(200)));
      ws.once('message', () => resolve());
      ws.on('error', reject);
      held.push(ws);
    }));
  }
  process.stdout.write('ready\n');
  setInterval(() => undefined, 1 << 30);
} else {
  const n = Number(role ?? 2000);
  const kind = a1 ?? 'tcp';
  const memory = gcMemory;
  let port: number;
  if (kind === 'tcp') {
    const server = createServer((s: Socket) => {
      held.push(s);
      s.once('data', () => s.write(Buffer.alloc(200)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  } else if (kind === 'h2') {
    // grpc-js's server options (src/server.ts): maxSendHeaderBlockLength, maxSessionMemory unlimited, maxConcurrentStreams as GrpcListener.
    // BENCH_H2_OPTIONS (JSON) is merged in, settings included, to try others.
    const extra = JSON.parse(process.env['BENCH_H2_OPTIONS'] ?? '{}') as http2.ServerOptions;
    const server = http2.createServer({ maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER, maxSessionMemory: Number.MAX_SAFE_INTEGER, ...extra, settings: { maxConcurrentStreams: 8, ...extra.settings } });
    server.on('stream', (stream) => {
      held.push(stream);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      stream.once('data', () => stream.write(Buffer.alloc(200)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  } else {
    const server = createHttpServer();
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 4 << 20 });
    server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => {
      ws.once('message', () => ws.send(Buffer.alloc(200)));
    }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  }
  const before = memory();
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'child', kind, String(port), String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const after = memory();
  process.stdout.write(
    JSON.stringify({ n, kind, rssKiBPerConnection: +((after.rss - before.rss) / n / 1024).toFixed(1), heapKiBPerConnection: +((after.heap - before.heap) / n / 1024).toFixed(1) }) + '\n',
  );
  child.kill('SIGKILL');
  process.exit(0);
}
