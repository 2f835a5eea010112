/**
 * Mesh routing (issue 5): delivered messages per second from an origin's
 * app to the destination's app over 1, 2 and 3 hops (0, 1 and 2 relays),
 * all nodes in this process, linked over gRPC ADS on loopback. Each relay
 * chain is built as devices build it (every node dials the one above it;
 * routes come from signed announcements), and each case is a ratio to
 * the direct link (1 hop) measured in the same group. A second group
 * sends round robin to four destinations behind the same relays (four
 * flows sharing each link).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PeerStore } from '../src/identity/index.js';
import { PushmeshNode } from '../src/node/pushmesh-node.js';
import { measureGroup, type BenchCase, type CaseResult } from './harness.js';
import { grpcUrl, startBenchNode, waitRoute } from './mesh-fixtures.js';
import { ratioOf, type BenchRow } from './ratio.js';
import type { BenchContext, BenchModule } from './types.js';

/** Messages per measured operation. */
export const BATCH = 64;
/** Destinations of the fan-out cases. */
const FAN = 4;
const PAD = 'x'.repeat(900);

export interface Chain {
  origin: PushmeshNode;
  /** One destination, or `fan` of them behind the same relays. */
  dests: PushmeshNode[];
  /** Messages their apps got. */
  received: () => number;
  close(): Promise<void>;
}

/**
 * origin → R1 ← R2 ← … ← dest with `relays` relays; with none, origin →
 * dest. Every node but the top one dials the one above it. With `fan`,
 * that many destinations hang below the last relay (or the origin dials
 * each of them).
 */
export async function chain(dir: string, name: string, relays: number, opts: { fan?: number; deliveryWindow?: number } = {}): Promise<Chain> {
  const nodes: PushmeshNode[] = [];
  const fan = opts.fan ?? 1;
  const nodeOpts = opts.deliveryWindow === undefined ? {} : { deliveryWindow: opts.deliveryWindow };
  try {
    let above: PushmeshNode | null = null;
    for (let i = 0; i < relays; i++) {
      above = await startBenchNode(join(dir, `${name}-r${i}`), above ? [grpcUrl(above)] : [], { ...nodeOpts, grpc: true });
      nodes.push(above);
    }
    const dests: PushmeshNode[] = [];
    for (let d = 0; d < fan; d++) {
      const dest = await startBenchNode(join(dir, `${name}-d${d}`), above ? [grpcUrl(above)] : [], { ...nodeOpts, grpc: true });
      nodes.push(dest);
      dests.push(dest);
    }
    const origin = await startBenchNode(join(dir, `${name}-o`), relays > 0 ? [grpcUrl(nodes[0]!)] : dests.map(grpcUrl), { ...nodeOpts, grpc: false });
    nodes.push(origin);
    for (const dest of dests) await new PeerStore(origin.config.home).add(dest.card());
    await origin.refreshPeers();
    for (const dest of dests) await waitRoute(origin, dest);
    let received = 0;
    for (const dest of dests) dest.bus.on('published', (ev) => (received += ev.message.topic === 'bench' ? 1 : 0));
    return {
      origin,
      dests,
      received: () => received,
      close: async () => {
        for (const n of nodes) await n.close();
      },
    };
  } catch (err) {
    for (const n of nodes) await n.close();
    throw err;
  }
}

/** One operation: BATCH messages from the origin's app (round robin over the destinations), two batches deep. */
export function sendCase(name: string, c: Chain): BenchCase {
  let sent = 0;
  return {
    name,
    async: true,
    fn: async () => {
      for (let i = 0; i < BATCH; i++) {
        const dest = c.dests[(sent + i) % c.dests.length]!;
        await c.origin.send({ to: dest.id, topic: 'bench', data: { kind: 'text', value: PAD }, ttl: 600, urgency: 'normal' });
      }
      sent += BATCH;
      // Two batches deep: wait until the previous batch has reached the destinations' apps.
      const target = sent - BATCH;
      while (c.received() < target) await new Promise((r) => setImmediate(r));
    },
  };
}

/** Rows of one group: the first case is the baseline of the others. */
function hopRows(results: CaseResult[], label: (i: number) => string, versus: string): BenchRow[] {
  const base = results[0]!;
  return results.map((r, i) =>
    i === 0 ? { case: label(i), opsPerSec: r.opsPerSec * BATCH } : { case: label(i), opsPerSec: r.opsPerSec * BATCH, versus, ratio: ratioOf(r, base) },
  );
}

const hops = (i: number): string => (i === 0 ? '1 hop (direct gRPC link)' : `${i + 1} hops (${i} relay${i > 1 ? 's' : ''})`);

export const routingBench: BenchModule = {
  name: 'routing',
  async run(ctx: BenchContext) {
    const dir = await mkdtemp(join(tmpdir(), 'pushmesh-bench-routing-'));
    const chains: Chain[] = [];
    try {
      ctx.log('  building chains with 0, 1 and 2 relays, one destination and four …');
      for (const relays of [0, 1, 2]) chains.push(await chain(dir, `h${relays + 1}`, relays));
      for (const relays of [0, 1, 2]) chains.push(await chain(dir, `f${relays + 1}`, relays, { fan: FAN }));
      ctx.log('  delivered messages/s by hop count …');
      const one = await measureGroup(chains.slice(0, 3).map((c, i) => sendCase(hops(i), c)), { seconds: ctx.seconds * 2 });
      ctx.log(`  … to ${FAN} destinations behind the relays …`);
      const fan = await measureGroup(chains.slice(3).map((c, i) => sendCase(`${hops(i)}, ${FAN} destinations`, c)), { seconds: ctx.seconds * 2 });
      return [
        {
          title: 'Routing: delivered messages/s by hop count (all nodes in one process)',
          rows: [...hopRows(one, (i) => `${hops(i)}, 1 KiB, app to app`, '1 hop'), ...hopRows(fan, (i) => `${hops(i)}, 1 KiB, app to app, round robin to ${FAN} destinations`, `1 hop, ${FAN} destinations`)],
          notes: [
            'Every node (origin, relays, destination) runs on the same JS thread, so each relay adds its full cost to the one thread: the ratio is a lower bound for relays on their own machines. Relays verify VAPID (cached) and forward without decrypting; the destination decrypts and dedupes.',
            `With ${FAN} destinations the origin's messages to all of them share its one link to the first relay: ${FAN} flows that a relay handles side by side (one flow is handled in order, one message at a time).`,
          ],
        },
      ];
    } finally {
      for (const c of chains) await c.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
