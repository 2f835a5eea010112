/**
 * Store-and-forward drain (issue 5): 10,000 messages (1 KiB, TTL 1 h)
 * queued for a destination that is away — held at a relay (B departed
 * from R) or at the origin (nobody on the way knows B) — then B comes
 * back, and we time until B's apps have all of them. Each must arrive
 * once and in order (checked; a violation under the default strict order
 * fails the bench). The rate is a ratio to the live 1-hop delivered rate
 * (bench/routing.ts) measured in the same run.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PeerStore } from '../src/identity/index.js';
import type { PushmeshNode } from '../src/node/pushmesh-node.js';
import { measureGroup } from './harness.js';
import { grpcUrl, startBenchNode, until, waitRoute } from './mesh-fixtures.js';
import type { BenchRow } from './ratio.js';
import { BATCH, chain, sendCase } from './routing.js';
import type { BenchContext, BenchModule } from './types.js';

const COUNT = Number(process.env['BENCH_DRAIN_MESSAGES'] ?? 10_000);
const PAD = 'x'.repeat(900);

type HeldAt = 'relay' | 'origin';

interface DrainResult {
  /** B start → last message at B's apps. */
  seconds: number;
  /** B start → first message at B's apps. */
  firstMs: number;
  /** Seconds to queue the messages (origin's send + hand-over to the relay). */
  fillSeconds: number;
  /** Arrivals that came after a later message (0 under strict order). */
  reordered: number;
  duplicates: number;
}

/** Counts what reaches B's apps, checking each message arrives once and in order. */
class Arrivals {
  readonly #seen = new Uint8Array(COUNT);
  count = 0;
  duplicates = 0;
  reordered = 0;
  #max = -1;
  first = 0;
  last = 0;

  watch(node: PushmeshNode): void {
    node.bus.on('published', (ev) => {
      const m = ev.message;
      if (m.topic !== 'drain' || m.data.kind !== 'text') return;
      const i = Number.parseInt(m.data.value, 10);
      if (this.#seen[i]) {
        this.duplicates++;
        return;
      }
      this.#seen[i] = 1;
      if (i < this.#max) this.reordered++;
      this.#max = Math.max(this.#max, i);
      if (this.count++ === 0) this.first = performance.now();
      if (this.count === COUNT) this.last = performance.now();
    });
  }
}

/**
 * Held at the relay: O → R ← B (R listens, O and B dial it); B leaves, O
 * sends COUNT messages, R holds them on disk; B dials R again.
 * Held at the origin: O ← B (O listens, B dials it); B leaves, O keeps
 * COUNT messages in its outbox; B dials O again.
 */
async function drain(dir: string, at: HeldAt, deliveryWindow: number): Promise<DrainResult> {
  const nodes = new Set<PushmeshNode>();
  const track = (n: PushmeshNode): PushmeshNode => (nodes.add(n), n);
  try {
    const name = `${at}-w${deliveryWindow}`;
    const hub = track(await startBenchNode(join(dir, `${name}-hub`), [], { grpc: true, deliveryWindow }));
    const bHome = join(dir, `${name}-b`);
    const b = track(await startBenchNode(bHome, [grpcUrl(hub)], { grpc: false, deliveryWindow }));
    const origin = at === 'relay' ? track(await startBenchNode(join(dir, `${name}-o`), [grpcUrl(hub)], { grpc: false, deliveryWindow })) : hub;
    await new PeerStore(origin.config.home).add(b.card());
    await origin.refreshPeers();
    await waitRoute(origin, b);
    const bId = b.id;
    await b.close();
    nodes.delete(b);
    await until(() => !hub.peers().some((p) => p.id === bId && p.connected), 30_000, 'B leaving');

    const holder = hub;
    const before = holder.queueDepth();
    const t0 = performance.now();
    for (let i = 0; i < COUNT; i++) {
      await origin.send({ to: bId, topic: 'drain', data: { kind: 'text', value: `${i} ${PAD}` }, ttl: 3600, urgency: 'normal' });
    }
    await until(() => holder.queueDepth() - before >= COUNT && (origin === holder || origin.queueDepth() === 0), 600_000, `${COUNT} messages held at the ${at}`);
    const fillSeconds = (performance.now() - t0) / 1000;

    const arrivals = new Arrivals();
    const profile = await startProfile();
    const start = performance.now();
    const back = track(await startBenchNode(bHome, [grpcUrl(hub)], { grpc: false, deliveryWindow }));
    arrivals.watch(back);
    await until(() => arrivals.count >= COUNT, 600_000, `the drain of ${COUNT} messages`);
    await profile?.(`${name}.cpuprofile`);
    // Anything sent twice would arrive right behind: give it a moment, then look.
    await until(() => holder.queueDepth() <= before, 30_000, 'the holder emptying its queue');
    return {
      seconds: (arrivals.last - start) / 1000,
      firstMs: arrivals.first - start,
      fillSeconds,
      reordered: arrivals.reordered,
      duplicates: arrivals.duplicates,
    };
  } finally {
    for (const n of nodes) await n.close();
  }
}

/** With BENCH_DRAIN_PROFILE=<dir>: a CPU profile of the drain alone (not the queueing), written there. */
async function startProfile(): Promise<((file: string) => Promise<void>) | null> {
  const dir = process.env['BENCH_DRAIN_PROFILE'];
  if (!dir) return null;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async (file) => {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(join(dir, file), JSON.stringify(profile));
    session.disconnect();
  };
}

export const drainBench: BenchModule = {
  name: 'drain',
  async run(ctx: BenchContext) {
    const dir = await mkdtemp(join(tmpdir(), 'pushmesh-bench-drain-'));
    try {
      ctx.log('  live 1-hop baseline …');
      const live = await chain(dir, 'live', 0);
      let liveRate: number;
      try {
        const [r] = await measureGroup([sendCase('1 hop', live)], { seconds: ctx.seconds });
        liveRate = r!.opsPerSec * BATCH;
      } finally {
        await live.close();
      }
      const windows = (process.env['BENCH_DRAIN_WINDOWS'] ?? '1,8').split(',').map(Number);
      const rows: BenchRow[] = [{ case: 'live: 1 hop (direct gRPC link), 1 KiB, app to app, window 1', opsPerSec: liveRate }];
      const notes: string[] = [];
      for (const w of windows) {
        for (const at of ['relay', 'origin'] as const) {
          ctx.log(`  drain of ${COUNT} held at the ${at}, deliveryWindow ${w} …`);
          const r = await drain(dir, at, w);
          if (w === 1 && (r.reordered > 0 || r.duplicates > 0)) throw new Error(`drain held at the ${at} with window 1: ${r.reordered} reordered, ${r.duplicates} duplicates`);
          const rate = COUNT / r.seconds;
          const where = at === 'relay' ? 'held at a relay (O → R ← B, B was away)' : 'held at the origin (O ← B, B was away)';
          rows.push({ case: `drain of ${COUNT.toLocaleString('en-US')} ${where}, window ${w}`, opsPerSec: rate, versus: 'live 1 hop', ratio: rate / liveRate });
          notes.push(
            `${at}, window ${w}: ${r.seconds.toFixed(2)} s from B's start to the last message (first after ${r.firstMs.toFixed(0)} ms); queueing took ${r.fillSeconds.toFixed(1)} s; ${r.reordered} arrived after a later one, ${r.duplicates} duplicates reached apps.`,
          );
        }
      }
      return [
        {
          title: `Store-and-forward drain: ${COUNT.toLocaleString('en-US')} queued 1 KiB messages, destination comes back (all nodes in one process)`,
          rows,
          notes: [...notes, 'Timed from the moment the destination node starts again (its dial and handshake included) until its apps have every message; each message is checked to arrive once and in order. One run per case, so the ratio is of one drain to the median live rate.'],
        },
      ];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
