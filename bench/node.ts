/**
 * Node throughput (issue 3): local POST on node A → HTTPS Web Push → node
 * B → SSE, as ratios to baselines measured in the same run:
 *
 * - the raw crypto bound: encrypt + decrypt of one message (RFC 8291),
 *   the crypto work a message needs end to end;
 * - a raw Node HTTPS POST of the same body size over keep-alive
 *   connections (the node-to-node hop without pushmesh).
 *
 * Two set-ups: both nodes in this process (one JS thread runs both nodes,
 * the baselines and the load generator, so the ratios compare like with
 * like), and two `pushmesh run` child processes (what users run).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { formatHostPort, resolveConfig } from '../src/config/index.js';
import { PeerStore } from '../src/identity/index.js';
import { PushmeshNode } from '../src/node/pushmesh-node.js';
import { spawnNode, type NodeProcess } from '../test/helpers/node-process.js';
import { encryptWebPush, WebPushDecrypter } from '../src/webpush/index.js';
import { measureGroup, type BenchCase, type CaseResult } from './harness.js';
import { compared, row } from './ratio.js';
import type { BenchContext, BenchModule, BenchSection } from './types.js';

/** Messages in the system at once (posted, not yet seen on B's SSE stream). */
const WINDOW = 32;
const PAD = 'x'.repeat(900); // ≈ 1 KiB of plaintext per message, like the crypto bench

/** Two nodes, A knowing B's card: the local API of A and of B, and how to stop them. */
interface Pair {
  aLocal: string;
  bLocal: string;
  bId: string;
  close(): Promise<void>;
}

async function startPair(deliveryWindow: number): Promise<Pair & { b: PushmeshNode }> {
  const dir = await mkdtemp(join(tmpdir(), 'pushmesh-bench-'));
  const layer = { local: '127.0.0.1:0', https: '127.0.0.1:0', grpc: 'off', logLevel: 'silent' };
  const logger = pino({ level: 'silent' });
  const b = await PushmeshNode.start(resolveConfig(join(dir, 'b'), [layer]), logger);
  await new PeerStore(join(dir, 'a')).add(b.card());
  const a = await PushmeshNode.start(resolveConfig(join(dir, 'a'), [{ ...layer, limits: { maxQueuedMessages: 100_000, deliveryWindow } }]), logger);
  return {
    b,
    aLocal: formatHostPort(a.addresses.local),
    bLocal: formatHostPort(b.addresses.local),
    bId: b.identity.id,
    async close() {
      await Promise.all([a.close(), b.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The same with two `pushmesh run` processes. */
async function spawnPair(deliveryWindow: number): Promise<Pair> {
  const cleanups: (() => unknown)[] = [];
  const scope = { after: (fn: () => unknown) => cleanups.push(fn) };
  const [a, b]: NodeProcess[] = await Promise.all([
    spawnNode({ scope, configYaml: `logLevel: info\nlimits:\n  maxQueuedMessages: 100000\n  deliveryWindow: ${deliveryWindow}\n` }),
    spawnNode({ scope }),
  ]);
  await new PeerStore(a.home).add(b.card);
  return {
    aLocal: a.local.replace('http://', ''),
    bLocal: b.local.replace('http://', ''),
    bId: b.id,
    async close() {
      await Promise.all([a.stop(), b.stop()]);
      for (const fn of cleanups.reverse()) await fn();
    },
  };
}

/**
 * A sender on A's local API and a reader of B's SSE stream: `burst(n)`
 * posts n messages at once and resolves when B's stream has shown all of
 * them; every message's latency (POST sent → event read) is recorded.
 */
async function pipeline(pair: Pair, topic: string) {
  const bLocal = pair.bLocal;
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
  const path = `/msg/${topic}?to=${pair.bId}&ttl=60`;
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

const ms = (v: number): string => `${v.toFixed(2)} ms`;
const latencyNote = (what: string, loaded: number[], single: number[]): string =>
  `${what} — latency, POST sent → SSE event read: with ${WINDOW} in flight p50 ${ms(pct(loaded, 50))}, p99 ${ms(pct(loaded, 99))} (${loaded.length} messages); ` +
  `one at a time p50 ${ms(pct(single, 50))}, p99 ${ms(pct(single, 99))} (${single.length} messages).`;

type Pipeline = Awaited<ReturnType<typeof pipeline>>;

/** Latencies of one message at a time, for `ms` milliseconds. */
async function unloaded(p: Pipeline, durationMs: number): Promise<number[]> {
  p.latencies.length = 0;
  p.record(true);
  const until = performance.now() + durationMs;
  while (performance.now() < until) await p.burst(1);
  p.record(false);
  return [...p.latencies];
}

/** The crypto bound case: what one message costs in encryption and decryption, nothing else. */
function cryptoBoundCase(): BenchCase {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  const publicKey = Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  const auth = randomBytes(16);
  const decrypter = new WebPushDecrypter({ privateScalar: Buffer.from(jwk.d!, 'base64url'), publicKey, auth });
  const plaintext = Buffer.from(JSON.stringify({ id: 'AAECAwQFBgcICQoLDA0ODw', topic: 'bench', time: Date.now(), meta: {}, data: { n: 1, pad: PAD } }));
  return { name: 'raw crypto bound: encryptWebPush + decrypt (1 KiB)', fn: () => decrypter.decrypt(encryptWebPush(plaintext, { p256dh: publicKey, auth })) };
}

async function inProcess(ctx: BenchContext): Promise<BenchSection> {
  const windowed = await startPair(8);
  const serial = await startPair(1);
  const raw = await rawHttps(windowed.b.identity.certificatePem, windowed.b.identity.privateKeyPem);
  const fast = await pipeline(windowed, 'bench');
  const slow = await pipeline(serial, 'bench');
  try {
    ctx.log('  in-process: crypto bound, raw HTTPS, node pipeline (delivery window 8 and 1)');
    fast.record(true);
    const [crypto, https, node, nodeSerial] = await measureGroup(
      [
        cryptoBoundCase(),
        { name: `raw Node HTTPS POST, keep-alive (${WINDOW} in flight)`, fn: () => raw.burst(WINDOW), async: true },
        { name: `node: local POST → A → HTTPS → B → SSE (${WINDOW} in flight)`, fn: () => fast.burst(WINDOW), async: true },
        { name: 'node, deliveryWindow 1', fn: () => slow.burst(WINDOW), async: true },
      ],
      { seconds: ctx.seconds * 2, sliceMs: 250, warmupMs: 500 },
    );
    fast.record(false);
    const loaded = [...fast.latencies];
    const single = await unloaded(fast, Math.max(500, ctx.seconds * 250));
    const nodeMsgs = perMessage(node!, WINDOW);
    const httpsMsgs = perMessage(https!, WINDOW);
    const perMsgUs = (r: CaseResult): number => 1e6 / r.opsPerSec;
    const combined = 1e6 / (perMsgUs(crypto!) + perMsgUs(httpsMsgs));
    return {
      title: 'Node: messages delivered end to end, both nodes in one process (1 KiB payload)',
      rows: [row(crypto!), row(httpsMsgs), compared(nodeMsgs, crypto!), compared(nodeMsgs, httpsMsgs), compared(perMessage(nodeSerial!, WINDOW), nodeMsgs)],
      notes: [
        latencyNote('In-process', loaded, single),
        `Crypto plus one raw HTTPS POST per message, done one after the other, would allow ${Math.round(combined).toLocaleString('en-US')} messages/s; the node reaches ${(nodeMsgs.opsPerSec / combined).toFixed(2)}× that.`,
        'One JS thread runs node A (local API, seal, outbox, HTTPS client), node B (HTTPS server, VAPID, decrypt, SSE) and the load generator: CPU-bound, so the delivery window changes little here.',
      ],
    };
  } finally {
    fast.close();
    slow.close();
    raw.close();
    await Promise.all([windowed.close(), serial.close()]);
  }
}

async function childProcesses(ctx: BenchContext): Promise<BenchSection> {
  ctx.log('  child processes: starting two pairs of `pushmesh run`');
  const windowed = await spawnPair(8);
  const serial = await spawnPair(1);
  const fast = await pipeline(windowed, 'bench');
  const slow = await pipeline(serial, 'bench');
  try {
    ctx.log('  child processes: crypto bound (this process), node pipeline (delivery window 8 and 1)');
    fast.record(true);
    const [crypto, node, nodeSerial] = await measureGroup(
      [
        cryptoBoundCase(),
        { name: `node processes: local POST → A → HTTPS → B → SSE (${WINDOW} in flight)`, fn: () => fast.burst(WINDOW), async: true },
        { name: 'node processes, deliveryWindow 1', fn: () => slow.burst(WINDOW), async: true },
      ],
      { seconds: ctx.seconds * 2, sliceMs: 250, warmupMs: 500 },
    );
    fast.record(false);
    const loaded = [...fast.latencies];
    const single = await unloaded(fast, Math.max(500, ctx.seconds * 250));
    const nodeMsgs = perMessage(node!, WINDOW);
    return {
      title: 'Node: messages delivered end to end, two `pushmesh run` processes (1 KiB payload)',
      rows: [row(crypto!), compared(nodeMsgs, crypto!), compared(perMessage(nodeSerial!, WINDOW), nodeMsgs)],
      notes: [
        latencyNote('Two processes', loaded, single),
        'Three processes (A, B, this load generator) share two cores. On loopback they are CPU-bound, so the delivery window changes little; it matters when the round trip is long (a real network): with one attempt in flight a destination gets at most 1/RTT messages per second.',
      ],
    };
  } finally {
    fast.close();
    slow.close();
    await Promise.all([windowed.close(), serial.close()]);
  }
}

export const nodeBench: BenchModule = {
  name: 'node',
  async run(ctx: BenchContext): Promise<BenchSection[]> {
    return [await inProcess(ctx), await childProcesses(ctx)];
  },
};
