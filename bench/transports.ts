/**
 * Transports (issue 4): one-way forwarding throughput and ping-pong
 * latency of gRPC ADS and WebSocket links, each against the raw grpc-js /
 * ws stream (same TLS, 1 KiB messages, no pushmesh protocol) measured in
 * the same run; and the memory a node spends per idle connected peer.
 */
import { once } from 'node:events';
import { pino } from 'pino';
import { PeerAuthenticator } from '../src/transport/auth/peer-authenticator.js';
import { GrpcDialer } from '../src/transport/grpc/grpc-dialer.js';
import { GrpcListener } from '../src/transport/grpc/grpc-listener.js';
import { linkLimits, type LinkLimits } from '../src/transport/link-limits.js';
import type { InboundMessage, Link } from '../src/transport/types.js';
import { WsDialer } from '../src/transport/ws/ws-dialer.js';
import { WsListener } from '../src/transport/ws/ws-listener.js';
import { measureGroup, type BenchCase } from './harness.js';
import { idlePeerMemory } from './idle-peers.js';
import { ratioOf, type BenchRow } from './ratio.js';
import { benchNode, rawGrpcPair, rawWsPair, sealedOfSize, type BenchNode } from './transport-fixtures.js';
import type { BenchContext, BenchModule, BenchSection } from './types.js';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

const logger = pino({ level: 'silent' });
/** Messages per measured operation (one-way throughput). */
const BATCH = 256;
const SIZE = 1024;

/** Limits for the bench: the default rate limit (5,000 msg/s per peer) would cap throughput by design. */
const BENCH_LIMITS: LinkLimits = linkLimits({ ratePerSecond: 10_000_000, rateBurst: 10_000_000, floodPerSecond: 10_000_000 });

interface LinkPair {
  a: Link;
  b: Link;
  close(): Promise<void>;
}

/**
 * A real link pair over loopback TLS, `b` answering (and, for ping-pong,
 * replying to) every message. `base`: both ends without the negotiated
 * "answers with messages" (docs/transports.md), as an older node.
 */
async function linkPair(transport: 'grpc' | 'wss', a: BenchNode, b: BenchNode, base = false): Promise<LinkPair> {
  let accepted!: (l: Link) => void;
  const inbound = new Promise<Link>((r) => (accepted = r));
  const limits = base ? { ...BENCH_LIMITS, answersWithMessages: false } : BENCH_LIMITS;
  const common = (n: BenchNode) => ({ auth: new PeerAuthenticator({ selfId: n.id, tls: n.tls }), self: { id: n.id, card: () => n.card, version: 'bench' }, limits, logger });
  let closeServer: () => Promise<void>;
  let port: number;
  if (transport === 'grpc') {
    const listener = await GrpcListener.start({ ...common(b), host: '127.0.0.1', port: 0, onLink: (l) => accepted(l) });
    port = listener.address!.port;
    closeServer = () => listener.close();
  } else {
    const https = createHttpsServer({ key: b.tls.key, cert: b.tls.cert, requestCert: true, rejectUnauthorized: false });
    const listener = new WsListener(https, { ...common(b), onLink: (l) => accepted(l) });
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
    port = (https.address() as AddressInfo).port;
    closeServer = async () => {
      await listener.close();
      await new Promise<void>((r) => https.close(() => r()));
    };
  }
  const dialer = transport === 'grpc' ? new GrpcDialer(common(a)) : new WsDialer(common(a));
  const linkA = await dialer.dial({ transport, host: '127.0.0.1', port, expectedId: b.id, url: 'bench' });
  const linkB = await inbound;
  return {
    a: linkA,
    b: linkB,
    close: async () => {
      linkA.close();
      await closeServer();
    },
  };
}

/** Consumes a link's messages with `handle` (which must answer them). */
function consume(link: Link, handle: (m: InboundMessage) => void): void {
  void (async () => {
    for await (const m of link.incoming) handle(m);
  })();
}

async function throughput(ctx: BenchContext, a: BenchNode, b: BenchNode, msg: Buffer): Promise<BenchSection> {
  const raw = await rawGrpcPair(a.tls, false);
  const rawWs = await rawWsPair(a.tls, false);
  const grpcLink = await linkPair('grpc', a, b);
  const wsLink = await linkPair('wss', a, b);
  for (const p of [grpcLink, wsLink]) consume(p.b, (m) => m.ack());
  const payload = msg.subarray(0, SIZE);

  const rawCase = (name: string, write: (b: Buffer) => boolean, drained: () => Promise<unknown>, onData: (f: () => void) => void): BenchCase => {
    let received = 0;
    let target = 0;
    let wake: (() => void) | null = null;
    onData(() => {
      if (++received >= target && wake) {
        const w = wake;
        wake = null;
        w();
      }
    });
    let written = 0;
    return {
      name,
      async: true,
      // Streaming, two batches deep: write a batch, then wait until the one before it has arrived.
      fn: async () => {
        for (let i = 0; i < BATCH; i++) if (!write(payload)) await drained();
        written += BATCH;
        target = written - BATCH;
        if (received < target) await new Promise<void>((r) => (wake = r));
      },
    };
  };
  const linkCase = (name: string, link: Link): BenchCase => {
    let previous: Promise<unknown> = Promise.resolve();
    return {
      name,
      async: true,
      // Streaming, two batches deep: send a batch, then wait until the one before it was ACKed.
      fn: async () => {
        const sends: Array<Promise<unknown>> = new Array(BATCH);
        for (let i = 0; i < BATCH; i++) sends[i] = link.send(msg);
        const waitFor = previous;
        previous = Promise.all(sends);
        await waitFor;
      },
    };
  };

  ctx.log('  one-way throughput, gRPC …');
  const [rg, lg] = await measureGroup(
    [rawCase('raw grpc-js stream', (b) => raw.call.write(b), () => once(raw.call, 'drain'), raw.onServerData), linkCase('gRPC ADS link', grpcLink.a)],
    { seconds: ctx.seconds },
  );
  ctx.log('  one-way throughput, WebSocket …');
  const [rw, lw] = await measureGroup(
    [
      rawCase('raw ws stream', (b) => (rawWs.ws.send(b), rawWs.ws.bufferedAmount < 1 << 20), () => wsDrained(rawWs.ws), rawWs.onServerData),
      linkCase('WebSocket link', wsLink.a),
    ],
    { seconds: ctx.seconds },
  );
  raw.close();
  await rawWs.close();
  await grpcLink.close();
  await wsLink.close();
  const msgs = (ops: number): number => ops * BATCH;
  const rows: BenchRow[] = [
    { case: 'raw grpc-js stream, 1 KiB', opsPerSec: msgs(rg!.opsPerSec) },
    { case: 'gRPC ADS link, 1 KiB sealed, ACKed', opsPerSec: msgs(lg!.opsPerSec), versus: 'raw grpc-js stream', ratio: ratioOf(lg!, rg!), target: 0.7 },
    { case: 'raw ws stream, 1 KiB', opsPerSec: msgs(rw!.opsPerSec) },
    { case: 'WebSocket link, 1 KiB sealed, ACKed', opsPerSec: msgs(lw!.opsPerSec), versus: 'raw ws stream', ratio: ratioOf(lw!, rw!), target: 0.7 },
  ];
  return {
    title: 'Transports: one-way forwarding, messages/s (ops/s column = messages/s)',
    rows,
    notes: [
      `Streaming two batches deep: each operation sends ${BATCH} messages, then waits until the previous ${BATCH} arrived (raw) or were ACKed by the receiving link (links); the figure is messages per second. Links carry real sealed WebpushMessages of ${SIZE} bytes, decoded and checked (bounds, type URL, window, rate) by the receiver, which ACKs each one; raw streams carry ${SIZE}-byte buffers and nothing else.`,
    ],
  };
}

/** Resolves once a WebSocket's send buffer is below half the high-water mark (ws has no 'drain' event). */
async function wsDrained(ws: { bufferedAmount: number }): Promise<void> {
  while (ws.bufferedAmount > 1 << 19) await new Promise((r) => setImmediate(r));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function pingPong(ctx: BenchContext, a: BenchNode, b: BenchNode, msg: Buffer): Promise<BenchSection> {
  const rounds = Math.max(500, Math.round(ctx.seconds * 500));
  const payload = msg.subarray(0, SIZE);
  const raw = await rawGrpcPair(a.tls, true);
  const rawWs = await rawWsPair(a.tls, true);
  const grpcLink = await linkPair('grpc', a, b);
  const wsLink = await linkPair('wss', a, b);
  const grpcBase = await linkPair('grpc', a, b, true);
  const wsBase = await linkPair('wss', a, b, true);
  const rtt: Record<string, () => Promise<void>> = {};

  let rawReply: (() => void) | null = null;
  raw.call.on('data', () => rawReply?.());
  rtt['raw grpc-js'] = () => new Promise<void>((r) => ((rawReply = r), raw.call.write(payload)));
  let wsReply: (() => void) | null = null;
  rawWs.ws.on('message', () => wsReply?.());
  rtt['raw ws'] = () => new Promise<void>((r) => ((wsReply = r), rawWs.ws.send(payload)));
  for (const [name, p] of [
    ['gRPC link', grpcLink],
    ['WebSocket link', wsLink],
    ['gRPC link, base protocol', grpcBase],
    ['WebSocket link, base protocol', wsBase],
  ] as const) {
    // b answers and sends the message back; a answers the reply and completes the round trip.
    consume(p.b, (m) => {
      m.ack();
      void p.b.send(m.bytes).catch(() => undefined);
    });
    let reply: (() => void) | null = null;
    consume(p.a, (m) => {
      m.ack();
      reply?.();
    });
    rtt[name] = () => new Promise<void>((r) => ((reply = r), void p.a.send(msg).catch(() => undefined)));
  }

  ctx.log(`  ping-pong, ${rounds} round trips each …`);
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(rtt).map((k) => [k, []]));
  for (const fn of Object.values(rtt)) for (let i = 0; i < 50; i++) await fn(); // warm-up
  const chunk = 50;
  for (let done = 0; done < rounds; done += chunk) {
    for (const [name, fn] of Object.entries(rtt)) {
      for (let i = 0; i < chunk; i++) {
        const t0 = process.hrtime.bigint();
        await fn();
        samples[name]!.push(Number(process.hrtime.bigint() - t0) / 1000);
      }
    }
  }
  raw.close();
  await rawWs.close();
  await grpcLink.close();
  await wsLink.close();
  await grpcBase.close();
  await wsBase.close();

  const rows: BenchRow[] = [];
  const stats = (name: string) => {
    const s = [...samples[name]!].sort((x, y) => x - y);
    return { p50: percentile(s, 50), p99: percentile(s, 99) };
  };
  for (const [link, base] of [
    ['gRPC link', 'raw grpc-js'],
    ['WebSocket link', 'raw ws'],
  ] as const) {
    const l = stats(link);
    const r = stats(base);
    for (const p of ['p50', 'p99'] as const) {
      rows.push({ case: `${base} ping-pong ${p}`, opsPerSec: 1e6 / r[p] });
      // Issue 14's target is on the p50.
      rows.push({ case: `${link} ping-pong ${p}`, opsPerSec: 1e6 / l[p], versus: `${base} ${p}`, ratio: r[p] / l[p], ...(p === 'p50' ? { target: 0.6 } : {}) });
    }
    const old = stats(`${link}, base protocol`);
    rows.push({ case: `${link}, base protocol (older peer) ping-pong p50`, opsPerSec: 1e6 / old.p50, versus: `${base} p50`, ratio: r.p50 / old.p50 });
  }
  return {
    title: 'Transports: ping-pong round trip, 1 KiB (µs/op column = latency)',
    rows,
    notes: [
      `${rounds} round trips per case, interleaved in chunks of ${chunk}. Link: A sends a sealed message, B ACKs it and sends it back, A receives it (one message each way plus the ACKs); raw: the server echoes the buffer. Ratio = raw latency ÷ link latency (1.00× = as fast as raw). "Base protocol": both ends without the negotiated answers with messages (as with a peer that does not ask for them), so B's answer to A's message is a status response of its own.`,
    ],
  };
}

export const transportsBench: BenchModule = {
  name: 'transports',
  async run(ctx) {
    // BENCH_TRANSPORTS=throughput,pingpong,memory (default: all three) runs only the named parts.
    const parts = new Set((process.env['BENCH_TRANSPORTS'] ?? 'throughput,pingpong,memory').split(',').map((s) => s.trim()));
    const [a, b] = await Promise.all([benchNode(), benchNode()]);
    const msg = await sealedOfSize(a, b, SIZE);
    const sections: BenchSection[] = [];
    if (parts.has('throughput')) sections.push(await throughput(ctx, a, b, msg));
    if (parts.has('pingpong')) sections.push(await pingPong(ctx, a, b, msg));
    if (parts.has('memory')) {
      ctx.log('  memory per idle peer …');
      sections.push(await idlePeerMemory(ctx));
    }
    return sections;
  },
};
