/**
 * How long the NATS fabric stalls a node's delivery when NATS goes away
 * for a moment (issue 13, item 6). One relay forwards a message for B
 * every 20 ms, another (where B is attached) delivers them; the
 * nats-server is killed, restarted on the same port and store after
 * OUTAGE_MS, and the run reports the time from the restart to B's first
 * delivery after it and the longest gap between deliveries.
 *
 *   node dist/bench/fabric-recovery.js
 *
 * Env: RUNS (default 3), SIGNAL (SIGKILL or SIGTERM, default SIGKILL),
 * OUTAGE_MS (default 1000), ACK_WAIT_MS (the fabric's ack wait; default
 * the fabric's own), DELIVER_MS (how long B's link takes to answer,
 * default 30: the message is in flight meanwhile), CLUSTER=1 (a 3-server cluster, replicas 3; the
 * server B's relay is connected to is the one killed, or with
 * VICTIM=leader the one leading the fabric's stream).
 */
import { runFabricOutage } from '../test/backends/support/fabric-outage.js';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { startNatsCluster, startNatsServer, type NatsCluster, type NatsClusterMember } from '../test/backends/support/nats-server.js';

const runs = Number(process.env['RUNS'] ?? 3);
const signal = (process.env['SIGNAL'] ?? 'SIGKILL') as NodeJS.Signals;
const outageMs = Number(process.env['OUTAGE_MS'] ?? 1000);
const ackWait = process.env['ACK_WAIT_MS'] ? Number(process.env['ACK_WAIT_MS']) : undefined;
const cluster = process.env['CLUSTER'] === '1';
const deliverMs = Number(process.env['DELIVER_MS'] ?? 30);

async function once(): Promise<Awaited<ReturnType<typeof runFabricOutage>>> {
  const fabric = { ...(ackWait ? { ackWaitMs: ackWait } : {}), ...(cluster ? { replicas: 3 } : {}) };
  if (cluster) {
    const c = await startNatsCluster();
    try {
      let victim = c.members[1]!;
      return await runFabricOutage({
        inServers: [c.members[0]!.url],
        outServers: [victim.url],
        fabric,
        deliverMs,
        outage: async () => {
          if (process.env['VICTIM'] === 'leader') victim = await streamLeader(c);
          await victim.kill(signal);
          await sleep(outageMs);
          await victim.restart();
          return Date.now();
        },
      });
    } finally {
      await c.stop();
    }
  }
  const s = await startNatsServer();
  try {
    return await runFabricOutage({
      inServers: [s.url],
      outServers: [s.url],
      fabric,
      deliverMs,
      outage: async () => {
        await s.kill(signal);
        await sleep(outageMs);
        await s.restart();
        return Date.now();
      },
    });
  } finally {
    await s.stop();
  }
}

/** The member that leads the fabric's stream. */
async function streamLeader(c: NatsCluster): Promise<NatsClusterMember> {
  const nc = await connect({ servers: c.urls });
  try {
    const info = await (await jetstreamManager(nc)).streams.info('PUSHMESH_FABRIC');
    return c.members.find((m) => m.name === info.cluster?.leader) ?? c.members[1]!;
  } finally {
    await nc.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function main(): Promise<void> {
  console.log(`| run | first delivery after restart (ms) | longest gap (ms) | acked | delivered | missing | duplicates | in order |`);
  console.log(`| --- | --- | --- | --- | --- | --- | --- | --- |`);
  for (let i = 1; i <= runs; i++) {
    const r = await once();
    console.log(`| ${i} | ${r.firstAfterRestartMs} | ${r.stallMs} | ${r.acked} | ${r.delivered} | ${r.missing} | ${r.duplicates} | ${r.inOrder ? 'yes' : 'NO'} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
