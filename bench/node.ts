/**
 * Node throughput (issue 3): local POST on node A → HTTPS Web Push → node
 * B → SSE, between two in-process nodes on 127.0.0.1, as ratios to two
 * baselines measured in the same run and the same process:
 *
 * - the raw crypto bound: encrypt + decrypt of one message (RFC 8291),
 *   the crypto work a message needs end to end;
 * - a raw Node HTTPS POST of the same body size over keep-alive
 *   connections (the node-to-node hop without pushmesh).
 *
 * Everything runs on this process's one JS thread (both nodes, both
 * baselines and the client), so the ratios compare like with like.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { formatHostPort, resolveConfig } from '../src/config/index.js';
import { PeerStore } from '../src/identity/index.js';
import { PushmeshNode, type NodeTuning } from '../src/node/pushmesh-node.js';
import { encryptWebPush, WebPushDecrypter } from '../src/webpush/index.js';
import { median, measureGroup, type BenchCase, type CaseResult } from './harness.js';
import { compared, row, type BenchRow } from './ratio.js';
import type { BenchContext, BenchModule, BenchSection } from './types.js';

/** Messages in the system at once (posted, not yet seen on B's SSE stream). */
const WINDOW = 32;
const PAD = 'x'.repeat(900); // ≈ 1 KiB of plaintext per message, like the crypto bench

interface Pair {
  a: PushmeshNode;
  b: PushmeshNode;
  aLocal: string;
  close(): Promise<void>;
}

async function startPair(tuning: NodeTuning): Promise<Pair> {
  const dir = await mkdtemp(join(tmpdir(), 'pushmesh-bench-'));
  const layer = { local: '127.0.0.1:0', https: '127.0.0.1:0', grpc: 'off', logLevel: 'silent' };
  const logger = pino({ level: 'silent' });
  const b = await PushmeshNode.start(resolveConfig(join(dir, 'b'), [layer]), logger);
  await new PeerStore(join(dir, 'a')).add(b.card());
  const a = await PushmeshNode.start(resolveConfig(join(dir, 'a'), [{ ...layer, limits: { maxQueuedMessages: 100_000 } }]), logger, tuning);
  return {
    a,
    b,
    aLocal: formatHostPort(a.addresses.local),
    async close() {
      await Promise.all([a.close(), b.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A sender on A's local API and a reader of B's SSE stream: `burst(n)`
 * posts n messages at once and resolves when B's stream has shown all of
 * them; every message's latency (POST sent → event read) is recorded.
 */
async function pipeline(pair: Pair, topic: string) {
  const bLocal = formatHostPort(pair.b.addresses.local);
  const agent = new HttpAgent({ keepAlive: true, maxSockets: WINDOW });
  const started = new Map<number, number>();
  const waiting = new Map<number, () => void>();
  const latencies: number[] = [];
  let recording = false;
  let seq = 0;
  const stream = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: Number(bLocal.split(':')[1]), path: `/msg/${topic}`, headers: { accept: 'text/event-stream' } }, resolve);
    req.on('error', reject);
    req.end();
  });
  stream.setEncoding('utf8');
  let buffer = '';
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').find((l) => l.startsWith('data: '));
      if (!data) continue;
      const n = (JSON.parse(data.slice(6)) as { data: { n: number } }).data.n;
      const t0 = started.get(n);
      if (t0 === undefined) continue;
      started.delete(n);
      if (recording) latencies.push(performance.now() - t0);
      waiting.get(n)?.();
      waiting.delete(n);
    }
  });
  const [host, port] = [pair.aLocal.split(':')[0]!, Number(pair.aLocal.split(':')[1])];
  const path = `/msg/${topic}?to=${pair.b.identity.id}&ttl=60`;
  const postOne = (n: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const delivered = new Promise<void>((r) => waiting.set(n, r));
      started.set(n, performance.now());
      const req = httpRequest({ host, port, path, method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 202 ? delivered.then(resolve) : reject(new Error(`POST answered ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ n, pad: PAD }));
    });
  return {
    burst: (count: number) => Promise.all(Array.from({ length: count }, () => postOne(seq++))),
    record(on: boolean) {
      recording = on;
    },
    latencies,
    close() {
      stream.destroy();
      agent.destroy();
    },
  };
}

/** A plain HTTPS server answering 201 to every POST, and a keep-alive client: the transport without pushmesh. */
async function rawHttps(certPem: string, keyPem: string) {
  const server = createHttpsServer({ cert: certPem, key: keyPem }, (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(201, { location: '/m/1' }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const agent = new HttpsAgent({ keepAlive: true, maxSockets: 8, rejectUnauthorized: false });
  const body = randomBytes(1200); // ≈ the aes128gcm body of a 1 KiB message
  const postOne = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/push/x', method: 'POST', agent, headers: { 'content-type': 'application/octet-stream', ttl: 60 } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(body);
    });
  return {
    burst: (count: number) => Promise.all(Array.from({ length: count }, postOne)),
    close: () => {
      agent.destroy();
      server.closeAllConnections();
      server.close();
    },
  };
}

/** A case's figures per message when each operation carried `n` messages. */
const perMessage = (r: CaseResult, n: number): CaseResult => ({ name: r.name, opsPerSec: r.opsPerSec * n, slices: r.slices.map((s) => s * n) });

const pct = (values: number[], p: number): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

export const nodeBench: BenchModule = {
  name: 'node',
  async run(ctx: BenchContext): Promise<BenchSection[]> {
    const windowed = await startPair({});
    const serial = await startPair({ perDestination: 1 });
    const id = windowed.b.identity;
    const decrypter = new WebPushDecrypter({ privateScalar: id.privateScalar, publicKey: id.publicKey, auth: id.auth });
    const plaintext = Buffer.from(JSON.stringify({ id: 'AAECAwQFBgcICQoLDA0ODw', topic: 'bench', time: Date.now(), meta: {}, data: { n: 1, pad: PAD } }));
    const recipient = { p256dh: id.publicKey, auth: id.auth };
    const raw = await rawHttps(id.certificatePem, id.privateKeyPem);
    const fast = await pipeline(windowed, 'bench');
    const slow = await pipeline(serial, 'bench');
    try {
      const cases: BenchCase[] = [
        { name: 'raw crypto bound: encryptWebPush + decrypt (1 KiB)', fn: () => decrypter.decrypt(encryptWebPush(plaintext, recipient)) },
        { name: `raw Node HTTPS POST, keep-alive (${WINDOW} in flight)`, fn: () => raw.burst(WINDOW), async: true },
        { name: `node: local POST → A → HTTPS → B → SSE (${WINDOW} in flight)`, fn: () => fast.burst(WINDOW), async: true },
        { name: `node, 1 attempt in flight per destination (old dispatcher window)`, fn: () => slow.burst(WINDOW), async: true },
      ];
      ctx.log('  crypto bound, raw HTTPS, node pipeline (window 8 and 1 per destination)');
      fast.record(true);
      const [crypto, https, node, nodeSerial] = await measureGroup(cases, { seconds: ctx.seconds * 2, sliceMs: 250, warmupMs: 500 });
      fast.record(false);
      const loaded = [...fast.latencies];

      // Unloaded latency: one message at a time.
      fast.latencies.length = 0;
      fast.record(true);
      const until = performance.now() + Math.max(500, ctx.seconds * 250);
      while (performance.now() < until) await fast.burst(1);
      fast.record(false);
      const single = [...fast.latencies];

      const nodeMsgs = perMessage(node!, WINDOW);
      const serialMsgs = perMessage(nodeSerial!, WINDOW);
      const httpsMsgs = perMessage(https!, WINDOW);
      const rows: BenchRow[] = [row(crypto!), row(httpsMsgs), compared(nodeMsgs, crypto!), compared(nodeMsgs, httpsMsgs), compared(serialMsgs, nodeMsgs)];
      const ms = (v: number) => `${v.toFixed(2)} ms`;
      return [
        {
          title: 'Node: messages delivered end to end (two in-process nodes, 1 KiB payload)',
          rows,
          notes: [
            `Latency, POST sent → SSE event read: with ${WINDOW} in flight p50 ${ms(pct(loaded, 50))}, p99 ${ms(pct(loaded, 99))} (${loaded.length} messages); ` +
              `one at a time p50 ${ms(pct(single, 50))}, p99 ${ms(pct(single, 99))} (${single.length} messages, median ${ms(median(single))}).`,
            'All on one JS thread: node A (local API, seal, outbox, HTTPS client), node B (HTTPS server, VAPID, decrypt, SSE) and the load generator.',
          ],
        },
      ];
    } finally {
      fast.close();
      slow.close();
      raw.close();
      await Promise.all([windowed.close(), serial.close()]);
    }
  },
};
