/**
 * Mesh routing (issue 5): delivered messages per second from an origin's
 * app to the destination's app over 1, 2 and 3 hops (0, 1 and 2 relays),
 * all nodes in this process, linked over gRPC ADS on loopback. Each relay
 * chain is built as devices build it (every node dials the one above it;
 * routes come from signed announcements), and each case is a ratio to
 * the direct link (1 hop) measured in the same group.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PeerStore } from '../src/identity/index.js';
import { PushmeshNode } from '../src/node/pushmesh-node.js';
import { measureGroup, type BenchCase } from './harness.js';
import { grpcUrl, startBenchNode, waitRoute } from './mesh-fixtures.js';
import { ratioOf, type BenchRow } from './ratio.js';
import type { BenchContext, BenchModule } from './types.js';

/** Messages per measured operation. */
export const BATCH = 64;
const PAD = 'x'.repeat(900);

export interface Chain {
  origin: PushmeshNode;
  dest: PushmeshNode;
  received: () => number;
  close(): Promise<void>;
}

/** origin → R1 ← R2 ← … ← dest with `relays` relays; with none, origin → dest. Every node but the top one dials the one above it. */
export async function chain(dir: string, name: string, relays: number, opts: { deliveryWindow?: number } = {}): Promise<Chain> {
  const nodes: PushmeshNode[] = [];
  try {
    let above: PushmeshNode | null = null;
    for (let i = 0; i < relays; i++) {
      above = await startBenchNode(join(dir, `${name}-r${i}`), above ? [grpcUrl(above)] : [], { ...opts, grpc: true });
      nodes.push(above);
    }
    const dest = await startBenchNode(join(dir, `${name}-d`), above ? [grpcUrl(above)] : [], { ...opts, grpc: true });
    nodes.push(dest);
    const origin = await startBenchNode(join(dir, `${name}-o`), [grpcUrl(relays > 0 ? nodes[0]! : dest)], { ...opts, grpc: false });
    nodes.push(origin);
    await new PeerStore(origin.config.home).add(dest.card());
    await origin.refreshPeers();
    await waitRoute(origin, dest);
    return finish(origin, dest, nodes);
  } catch (err) {
    for (const n of nodes) await n.close();
    throw err;
  }
}

function finish(origin: PushmeshNode, dest: PushmeshNode, nodes: PushmeshNode[]): Chain {
  let received = 0;
  dest.bus.on('published', () => received++);
  return {
    origin,
    dest,
    received: () => received,
    close: async () => {
      for (const n of nodes) await n.close();
    },
  };
}

export function sendCase(name: string, c: Chain): BenchCase {
  let sent = 0;
  return {
    name,
    async: true,
    fn: async () => {
      for (let i = 0; i < BATCH; i++) await c.origin.send({ to: c.dest.id, topic: 'bench', data: { kind: 'text', value: PAD }, ttl: 600, urgency: 'normal' });
      sent += BATCH;
      // Two batches deep: wait until the previous batch has reached the destination's apps.
      const target = sent - BATCH;
      while (c.received() < target) await new Promise((r) => setImmediate(r));
    },
  };
}

export const routingBench: BenchModule = {
  name: 'routing',
  async run(ctx: BenchContext) {
    const dir = await mkdtemp(join(tmpdir(), 'pushmesh-bench-routing-'));
    const chains: Chain[] = [];
    try {
      ctx.log('  building chains with 0, 1 and 2 relays …');
      for (const relays of [0, 1, 2]) chains.push(await chain(dir, `h${relays + 1}`, relays));
      ctx.log('  delivered messages/s by hop count …');
      const results = await measureGroup(
        chains.map((c, i) => sendCase(`${i + 1} hop${i ? 's' : ''}`, c)),
        { seconds: ctx.seconds * 2 },
      );
      const base = results[0]!;
      const rows: BenchRow[] = results.map((r, i) =>
        i === 0
          ? { case: '1 hop (direct gRPC link), 1 KiB, app to app', opsPerSec: r.opsPerSec * BATCH }
          : { case: `${i + 1} hops (${i} relay${i > 1 ? 's' : ''}), 1 KiB, app to app`, opsPerSec: r.opsPerSec * BATCH, versus: '1 hop', ratio: ratioOf(r, base) },
      );
      return [
        {
          title: 'Routing: delivered messages/s by hop count (all nodes in one process)',
          rows,
          notes: ['Every node (origin, relays, destination) runs on the same JS thread, so each relay adds its full cost to the one thread: the ratio is a lower bound for relays on their own machines. Relays verify VAPID (cached) and forward without decrypting; the destination decrypts and dedupes.'],
        },
      ];
    } finally {
      for (const c of chains) await c.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
