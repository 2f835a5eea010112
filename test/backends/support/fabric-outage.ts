/**
 * One relay forwards a steady stream of messages for node B into the NATS
 * fabric, another relay (where B is attached) delivers them, and a NATS
 * outage happens in the middle. Used by test/backends/nats-fabric-recovery.test.ts
 * and bench/fabric-recovery.ts: it measures, from events, how long
 * delivery stalls and whether every forwarded message arrived once, in
 * order.
 */
import { NatsFabric, type NatsFabricOptions } from '../../../adapters/nats/nats-fabric.js';
import { makeNode } from '../../message/nodes.js';
import { Deliveries, fabricWire } from './fabric.js';
import { testLogger } from './node.js';

export interface OutageOptions {
  /** Servers of the relay that forwards. */
  inServers: string[];
  /** Servers of the relay B is attached to. */
  outServers: string[];
  /** Fabric options of both relays (e.g. `ackWaitMs`). */
  fabric?: Partial<NatsFabricOptions>;
  /** Pause between two forwards, ms. */
  intervalMs?: number;
  /** Load before the outage, ms. */
  beforeMs?: number;
  /** Takes NATS down and brings it back; resolves with the Date.now() at which it was ready again. */
  outage: () => Promise<number>;
  /** Load after the restart, ms. */
  afterMs?: number;
  /** How long to wait for the last forwarded message to arrive. */
  drainMs?: number;
  /** How long B's deliver() takes (a link round trip), ms; default 30. While it runs the message is in flight. */
  deliverMs?: number;
}

export interface OutageResult {
  /** Messages whose forward() resolved (JetStream has them). */
  acked: number;
  /** forward() calls that failed and were retried (same message). */
  retries: number;
  /** Distinct messages B accepted. */
  delivered: number;
  /** Acknowledged messages that never arrived. */
  missing: number;
  /** Messages B was handed again after it had accepted them (the node drops those by ID). */
  duplicates: number;
  /** True when B got the acknowledged messages in the order they were forwarded (first arrivals). */
  inOrder: boolean;
  /** From the restart until B's first delivery after it, ms. */
  firstAfterRestartMs: number;
  /** Longest gap between two deliveries to B, ms (spans the outage). */
  stallMs: number;
  /** deliver() calls in all, redeliveries included. */
  calls: number;
}

/** Runs the scenario; both relays' fabrics are closed before it returns. */
export async function runFabricOutage(opts: OutageOptions): Promise<OutageResult> {
  const sender = makeNode().id;
  const B = makeNode().id;
  const base: NatsFabricOptions = { servers: [], maxAgeSeconds: 3600, logger: testLogger(), ...opts.fabric };
  const into = await NatsFabric.open({ ...base, servers: opts.inServers, name: 'relay-in' });
  const out = await NatsFabric.open({ ...base, servers: opts.outServers, name: 'relay-out' });
  const got = new Deliveries();
  const times: number[] = [];
  const seen = new Set<string>();
  const firstArrivals: string[] = [];
  let duplicates = 0;
  const deliverMs = opts.deliverMs ?? 30;
  got.answer = async (id) => {
    await sleep(deliverMs);
    times.push(Date.now());
    if (seen.has(id)) duplicates++;
    else {
      seen.add(id);
      firstArrivals.push(id);
    }
    return true;
  };
  const acked: string[] = [];
  let retries = 0;
  let stop = false;
  const interval = opts.intervalMs ?? 20;
  const loader = (async () => {
    while (!stop) {
      const { msg, wire } = fabricWire(sender, B);
      // Like an origin's outbox: the same message again until the fabric takes it.
      for (;;) {
        try {
          await into.forward(B, wire, { ttlSeconds: 3600 });
          acked.push(msg.id);
          break;
        } catch {
          if (stop) return;
          retries++;
          await sleep(100);
        }
      }
      await sleep(interval);
    }
  })();
  try {
    const detach = await out.attach(B, got.deliver);
    await sleep(opts.beforeMs ?? 2000);
    const restartedAt = await opts.outage();
    await got.until(() => times.some((t) => t >= restartedAt), 'a delivery after the restart', 60_000);
    const firstAfterRestartMs = times.find((t) => t >= restartedAt)! - restartedAt;
    await sleep(opts.afterMs ?? 2000);
    stop = true;
    await loader;
    const last = acked[acked.length - 1]!;
    await got.until(() => seen.has(last), 'the last acknowledged message', opts.drainMs ?? 60_000);
    await detach();
    let stallMs = 0;
    for (let i = 1; i < times.length; i++) stallMs = Math.max(stallMs, times[i]! - times[i - 1]!);
    const ackedSet = new Set(acked);
    return {
      acked: acked.length,
      retries,
      delivered: seen.size,
      missing: acked.filter((id) => !seen.has(id)).length,
      duplicates,
      inOrder: firstArrivals.filter((id) => ackedSet.has(id)).join() === acked.filter((id) => seen.has(id)).join(),
      firstAfterRestartMs,
      stallMs,
      calls: got.calls.length,
    };
  } finally {
    stop = true;
    await loader.catch(() => undefined);
    await Promise.allSettled([into.close(), out.close()]);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
