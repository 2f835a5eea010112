/**
 * The distributed engine under faults (issue 13, item 8): a 3-server
 * nats-server cluster with JetStream carries the fabric (stream and
 * consumers with 3 replicas) for three relays, each connected to a
 * different server. A device on each relay sends a steady load to the
 * device on the next relay (D1 → D2 → D3 → D1: every message crosses the
 * fabric). Mid-load the server leading the fabric's stream is SIGKILLed
 * and restarted. Every message its origin answered 202 reaches the
 * destination's app exactly once and in order; the longest gap in
 * arrivals (the stall) is measured and reported.
 *
 * Relays and devices are real nodes in this process (real gRPC links,
 * real local API, real SSE); the nats-servers are real processes,
 * stopped by PID.
 */
import { strict as assert } from 'node:assert';
import { request, type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { createFabric } from '../../adapters/index.js';
import type { NatsFabric } from '../../adapters/nats/nats-fabric.js';
import { defaultConfig, type NodeConfig } from '../../src/config/index.js';
import { PeerStore, cardFor, openIdentity } from '../../src/identity/index.js';
import { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { startNatsCluster, type NatsCluster, type NatsClusterMember } from '../backends/support/nats-server.js';
import { SseParser } from '../helpers/sse-parser.js';
import { tempHome } from '../helpers/temp-dir.js';
import { drained, linkedTo } from './route-flood.js';

const NOWHERE = 'https://127.0.0.1:9';
const TOPIC = 'load';
/** Pause between two sends of one device, ms (≈ 30 messages/s per device). */
const SEND_EVERY_MS = 30;

/** A local app on a device: its SSE stream, with the time each message arrived. */
class TimedApp {
  readonly arrivals: { id: string; from: string; n: number; at: number }[] = [];
  readonly #waiters = new Set<() => void>();
  #res: IncomingMessage | null = null;

  static async open(node: PushmeshNode): Promise<TimedApp> {
    const app = new TimedApp();
    const { port } = node.addresses.local;
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: `/msg/${TOPIC}`, headers: { accept: 'text/event-stream' } }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`SSE: HTTP ${res.statusCode}`));
        app.#res = res;
        res.setEncoding('utf8');
        const parser = new SseParser();
        res.on('data', (chunk: string) => {
          for (const e of parser.feed(chunk)) {
            if (e.event !== 'message') continue;
            const m = JSON.parse(e.data) as { id: string; from: string; data: { n: number } };
            app.arrivals.push({ id: m.id, from: m.from, n: m.data.n, at: Date.now() });
          }
          for (const w of [...app.#waiters]) w();
        });
        resolve();
      });
      req.on('error', reject);
      req.end();
    });
    return app;
  }

  until(pred: () => boolean, what: string, ms: number): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`${what}: not within ${ms} ms (${this.arrivals.length} arrived)`));
      }, ms);
      const check = (): void => {
        if (!pred()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      this.#waiters.add(check);
    });
  }

  close(): void {
    this.#res?.destroy();
  }
}

async function postMessage(node: PushmeshNode, to: string, n: number): Promise<{ status: number; id?: string }> {
  const { port } = node.addresses.local;
  const res = await fetch(`http://127.0.0.1:${port}/msg/${TOPIC}?to=${to}&ttl=600`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ n }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json().catch(() => ({}))) as { id?: string };
  return body.id === undefined ? { status: res.status } : { status: res.status, id: body.id };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe('the fabric on a 3-server NATS cluster, one server SIGKILLed mid-load', { timeout: 170_000 }, () => {
  let cluster: NatsCluster;
  const nodes: PushmeshNode[] = [];
  const fabrics: NatsFabric[] = [];
  const apps: TimedApp[] = [];
  const log = pino({ level: process.env['PUSHMESH_TEST_LOG'] ?? 'silent' });

  before(async () => {
    cluster = await startNatsCluster({ size: 3 });
  });
  after(async () => {
    for (const a of apps) a.close();
    for (const n of [...nodes].reverse()) await n.close().catch(() => undefined);
    for (const f of fabrics) await f.close().catch(() => undefined);
    await cluster?.stop();
  });

  it('nothing acknowledged is lost, duplicated or reordered; the stall is bounded', { timeout: 160_000 }, async (t) => {
    // Three relays, each on its own server; the fabric's stream with 3 replicas.
    const relays: PushmeshNode[] = [];
    for (let i = 0; i < 3; i++) {
      const config: NodeConfig = { ...defaultConfig(await tempHome(t)), local: { host: '127.0.0.1', port: 0 }, https: null, grpc: { host: '127.0.0.1', port: 0 }, nats: [cluster.members[i]!.url], logLevel: 'silent' };
      config.backends = { ...config.backends, nats: { ...config.backends.nats, fabric: true, fabricReplicas: 3 } };
      const relay = await PushmeshNode.start(config, log.child({ node: `r${i + 1}` }), { backends: 'caller' }); // its fabric is made below
      nodes.push(relay);
      const fabric = (await createFabric(config, log.child({ node: `r${i + 1}` }), { name: `relay-${i + 1}` })) as NatsFabric;
      fabrics.push(fabric);
      relay.useFabric(fabric);
      relays.push(relay);
    }
    const nc = await connect({ servers: cluster.urls });
    const info = await (await jetstreamManager(nc)).streams.info('PUSHMESH_FABRIC');
    assert.equal(info.config.num_replicas, 3, 'fabricReplicas: 3 makes an R3 stream');
    assert.equal(info.cluster?.replicas?.length, 2, 'the leader and two replicas');

    // Three devices that know each other's cards (and nothing else), D(i) linked to relay i.
    const homes = await Promise.all([0, 1, 2].map(() => tempHome(t)));
    const ids = await Promise.all(homes.map(async (h) => (await openIdentity(h)).identity));
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) if (i !== j) await new PeerStore(homes[i]!).add(cardFor(ids[j]!, NOWHERE));
    const devices: PushmeshNode[] = [];
    for (let i = 0; i < 3; i++) {
      const r = relays[i]!;
      const config: NodeConfig = { ...defaultConfig(homes[i]!), local: { host: '127.0.0.1', port: 0 }, https: null, grpc: null, advertise: NOWHERE, peers: [`grpcs://${r.id}@127.0.0.1:${r.addresses.grpc!.port}`], logLevel: 'silent' };
      const d = await PushmeshNode.start(config, log.child({ node: `d${i + 1}` }));
      nodes.push(d);
      devices.push(d);
    }
    await Promise.all(devices.map((d, i) => linkedTo(d, relays[i]!.id, 30_000)));
    for (const d of devices) apps.push(await TimedApp.open(d));
    const dest = (i: number): number => (i + 1) % 3;

    // Warm-up: one message around the ring, so every relay has attached its device's consumer.
    for (let i = 0; i < 3; i++) assert.equal((await postMessage(devices[i]!, devices[dest(i)]!.id, -1)).status, 202);
    await Promise.all(apps.map((a) => a.until(() => a.arrivals.length >= 1, 'warm-up message', 60_000)));

    // Steady load from every device; the server leading the stream is SIGKILLed mid-load and restarted.
    const acked: string[][] = [[], [], []];
    const refused: number[] = [0, 0, 0];
    let stop = false;
    const load = devices.map(async (d, i) => {
      for (let n = 0; !stop; n++) {
        const r = await postMessage(d, devices[dest(i)]!.id, n).catch(() => ({ status: 0 }) as { status: number; id?: string });
        if (r.status === 202 && r.id) acked[i]!.push(r.id);
        else refused[i]!++;
        await sleep(SEND_EVERY_MS);
      }
    });
    await sleep(3000);
    const leaderName = (await (await jetstreamManager(nc)).streams.info('PUSHMESH_FABRIC')).cluster?.leader;
    const victim: NatsClusterMember = cluster.members.find((m) => m.name === leaderName) ?? cluster.members[0]!;
    const killedAt = Date.now();
    await victim.kill('SIGKILL');
    await sleep(2000);
    await victim.restart();
    const restartedAt = Date.now();
    await sleep(4000);
    stop = true;
    await Promise.all(load);
    await nc.close();

    // Everything acknowledged arrives, once, in order.
    for (let i = 0; i < 3; i++) {
      const app = apps[dest(i)]!;
      const mine = (): string[] => app.arrivals.filter((a) => a.from === devices[i]!.id && a.n >= 0).map((a) => a.id);
      const want = acked[i]!;
      assert.ok(want.length > 50, `device ${i + 1} sent a steady load (${want.length} acknowledged)`);
      await app.until(() => {
        const have = new Set(mine());
        return want.every((id) => have.has(id));
      }, `device ${i + 1}'s ${want.length} messages at device ${dest(i) + 1}`, 60_000);
      const got = mine();
      assert.equal(new Set(got).size, got.length, `no duplicates at device ${dest(i) + 1}`);
      const ackedSet = new Set(want);
      assert.deepEqual(got.filter((id) => ackedSet.has(id)), want, `device ${i + 1} → ${dest(i) + 1}: every acknowledged message once, in order`);
    }
    for (const d of devices) await drained(d, 30_000);

    // The stall: the longest gap between two arrivals at one app, during the load.
    const gaps = apps.map((a) => {
      const at = a.arrivals.filter((x) => x.n >= 0).map((x) => x.at);
      let gap = 0;
      for (let k = 1; k < at.length; k++) gap = Math.max(gap, at[k]! - at[k - 1]!);
      return gap;
    });
    const stall = Math.max(...gaps);
    const figures = `victim ${victim.name} (stream leader); acknowledged ${acked.map((a) => a.length).join('/')}, refused ${refused.join('/')}; longest gap per app ${gaps.join('/')} ms; restarted ${restartedAt - killedAt} ms after the kill`;
    t.diagnostic(figures);
    console.log(`fabric cluster: ${figures}`);
    assert.ok(stall < 30_000, `stall ${stall} ms`);
  });
});
