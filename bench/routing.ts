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
import { pino } from 'pino';
import { defaultConfig, type NodeConfig } from '../src/config/index.js';
import { PeerStore } from '../src/identity/index.js';
import { PushmeshNode } from '../src/node/pushmesh-node.js';
import { measureGroup, type BenchCase } from './harness.js';
import { ratioOf, type BenchRow } from './ratio.js';
import type { BenchContext, BenchModule } from './types.js';

const logger = pino({ level: 'silent' });
/** Messages per measured operation. */
const BATCH = 64;
const PAD = 'x'.repeat(900);

interface Chain {
  origin: PushmeshNode;
  dest: PushmeshNode;
  received: () => number;
  close(): Promise<void>;
}

async function startNode(home: string, peers: string[], grpc: boolean): Promise<PushmeshNode> {
  const config: NodeConfig = {
    ...defaultConfig(home),
    local: { host: '127.0.0.1', port: 0 },
    https: null,
    grpc: grpc ? { host: '127.0.0.1', port: 0 } : null,
    peers,
    // Nothing listens there: no message ever goes over HTTPS by mistake (to someone's default port).
    advertise: 'https://127.0.0.1:9',
    logLevel: 'silent',
  };
  config.limits = { ...config.limits, maxQueuedMessages: 100_000 };
  return PushmeshNode.start(config, logger);
}

/** origin → R1 ← R2 ← … ← dest with `relays` relays; with none, origin → dest. Every node but the top one dials the one above it. */
async function chain(dir: string, name: string, relays: number): Promise<Chain> {
  const nodes: PushmeshNode[] = [];
  const url = (n: PushmeshNode): string => `grpcs://${n.id}@127.0.0.1:${n.addresses.grpc!.port}`;
  try {
    let above: PushmeshNode | null = null;
    for (let i = 0; i < relays; i++) {
      above = await startNode(join(dir, `${name}-r${i}`), above ? [url(above)] : [], true);
      nodes.push(above);
    }
    const dest = await startNode(join(dir, `${name}-d`), above ? [url(above)] : [], true);
    nodes.push(dest);
    const origin = await startNode(join(dir, `${name}-o`), [url(relays > 0 ? nodes[0]! : dest)], false);
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

/** Waits until a probe message from `origin` reaches `dest`'s apps (links up, routes announced). */
async function waitRoute(origin: PushmeshNode, dest: PushmeshNode): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('routing bench: chain did not come up in 60 s')), 60_000);
    const onEv = (): void => {
      clearTimeout(timer);
      dest.bus.off('published', onEv);
      resolve();
    };
    dest.bus.on('published', onEv);
    void origin.send({ to: dest.id, topic: 'bench', data: { kind: 'text', value: 'probe' }, ttl: 120, urgency: 'normal' });
  });
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

function sendCase(name: string, c: Chain): BenchCase {
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
