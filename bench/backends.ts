/**
 * Backends (issue 6): messages/s through pushmesh and a backend, as a
 * ratio to the backend's own client doing the same in the same run.
 *
 * - mesh → NATS → mesh: node A exports 1 KiB messages (plaintext bridge)
 *   to NATS, node B takes them in from NATS and delivers them to its local
 *   bus; vs raw NATS publish → subscribe of 1 KiB messages. Core NATS and
 *   JetStream (durable consumer, acks).
 * - mesh → Pub/Sub emulator → mesh vs raw publish → subscription on the
 *   emulator.
 * - scale-out fabric: relay 1 forward() → JetStream → relay 2 deliver()
 *   vs raw JetStream publish → durable consumer.
 *
 * Needs /usr/sbin/nats-server and gcloud's Pub/Sub emulator; a backend
 * whose server is missing is skipped with a note.
 */
import { randomBytes } from 'node:crypto';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PubSub, type Message as PubSubMessage } from '@google-cloud/pubsub';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { startBackends } from '../adapters/index.js';
import { NatsFabric } from '../adapters/nats/nats-fabric.js';
import type { BackendBridge } from '../src/backends/bridge.js';
import { defaultConfig, type NodeConfig } from '../src/config/index.js';
import { PushmeshNode } from '../src/node/pushmesh-node.js';
import { NATS_SERVER, startNatsServer, type NatsServer } from '../test/backends/support/nats-server.js';
import { startPubSubEmulator, type PubSubEmulator } from '../test/backends/support/pubsub-emulator.js';
import { fabricWire } from '../test/backends/support/fabric.js';
import { makeNode } from '../test/message/nodes.js';
import { Flow, perMessage } from './flow.js';
import { measureGroup, type BenchCase, type CaseResult } from './harness.js';
import { compared, row, type BenchRow } from './ratio.js';
import type { BenchContext, BenchModule, BenchSection } from './types.js';

const RAW_PAYLOAD = randomBytes(1024);
/** A JSON payload of about 1 KiB, as apps send them. */
const APP_PAYLOAD = { kind: 'json' as const, value: { text: randomBytes(750).toString('base64') } };

interface MeshPair {
  a: PushmeshNode;
  b: PushmeshNode;
  bridges: BackendBridge[];
  homes: string[];
  close(): Promise<void>;
}

/** Node A exports `bench.*` (plaintext) to a backend and reads nothing; node B reads from it. */
async function meshPair(configure: (c: NodeConfig, role: 'a' | 'b') => void): Promise<MeshPair> {
  const logger = pino({ level: 'silent' });
  const homes: string[] = [];
  const nodes: PushmeshNode[] = [];
  const bridges: BackendBridge[] = [];
  for (const role of ['a', 'b'] as const) {
    const home = await mkdtemp(join(tmpdir(), 'pushmesh-bench-'));
    homes.push(home);
    const c = defaultConfig(home);
    c.local = { host: '127.0.0.1', port: 0 };
    c.https = null;
    c.grpc = null;
    c.limits.subscriberBuffer = 100_000;
    configure(c, role);
    const node = await PushmeshNode.start(c, logger, { backends: 'caller' });
    nodes.push(node);
    const bridge = await startBackends(node, c, logger);
    if (bridge) bridges.push(bridge);
  }
  return {
    a: nodes[0]!,
    b: nodes[1]!,
    bridges,
    homes,
    async close() {
      for (const br of bridges) await br.close();
      for (const n of nodes) await n.close();
      for (const h of homes) await rm(h, { recursive: true, force: true });
    },
  };
}

/** The mesh case: messages sent on A (local delivery, exported by the bridge), counted on arrival at B's bus. */
function meshCase(name: string, pair: MeshPair, batch: number, window: number): BenchCase & { batch: number } {
  const flow = new Flow();
  pair.b.bus.on('published', () => flow.arrived());
  return flow.case(name, batch, window, (n) => {
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) sends.push(pair.a.send({ topic: 'bench.flow', to: '', data: APP_PAYLOAD, ttl: 600, urgency: 'normal' }));
    return Promise.all(sends);
  });
}

async function measurePair(ctx: BenchContext, title: string, ours: Array<BenchCase & { batch: number }>, base: BenchCase & { batch: number }, notes: string[]): Promise<BenchSection> {
  ctx.log(`  ${title}`);
  const results = await measureGroup([base, ...ours], { seconds: ctx.seconds, sliceMs: 250, warmupMs: 500 });
  const baseResult = perMessage(results[0]!, base.batch);
  const rows: BenchRow[] = [row(baseResult)];
  ours.forEach((o, i) => rows.push(compared(perMessage(results[i + 1]!, o.batch), baseResult)));
  return { title, rows, notes };
}

async function natsCore(ctx: BenchContext, server: NatsServer): Promise<BenchSection> {
  const pub = await connect({ servers: server.url });
  const sub = await connect({ servers: server.url });
  const raw = new Flow();
  sub.subscribe('rawbench.core', { callback: () => raw.arrived() });
  await sub.flush();
  const rawCase = raw.case('raw NATS: publish → subscribe, 1 KiB', 1000, 4000, (n) => {
    for (let i = 0; i < n; i++) pub.publish('rawbench.core', RAW_PAYLOAD);
  });
  const structured = await meshPair((c, role) => {
    c.nats = [server.url];
    c.backends.nats.jetstream = false;
    c.backends.nats.subjectPrefix = 'pmcore';
    if (role === 'a') {
      c.backends.nats.import = false;
      c.backends.bridges = [{ topics: 'bench.*', to: 'nats', mode: 'plaintext' }];
    }
  });
  const binary = await meshPair((c, role) => {
    c.nats = [server.url];
    c.backends.nats.jetstream = false;
    c.backends.nats.subjectPrefix = 'pmcorebin';
    c.backends.nats.contentMode = 'binary';
    if (role === 'a') {
      c.backends.nats.import = false;
      c.backends.bridges = [{ topics: 'bench.*', to: 'nats', mode: 'plaintext' }];
    }
  });
  try {
    return await measurePair(
      ctx,
      'Backends: mesh → NATS → mesh (core NATS)',
      [meshCase('mesh → NATS → mesh, structured CloudEvents', structured, 200, 800), meshCase('mesh → NATS → mesh, binary CloudEvents', binary, 200, 800)],
      rawCase,
      [
        'Raw: one nats.js connection publishes 1 KiB messages, another one (same process) receives them.',
        'Mesh: node A `send()`s a ~1 KiB JSON message to its local bus; its bridge maps it to a CloudEvent and publishes it; node B (same process) parses and validates the event and delivers it to its local bus.',
      ],
    );
  } finally {
    await structured.close();
    await binary.close();
    await pub.close();
    await sub.close();
  }
}

async function natsJetStream(ctx: BenchContext, server: NatsServer): Promise<BenchSection> {
  const pub = await connect({ servers: server.url });
  const sub = await connect({ servers: server.url });
  const jsm = await jetstreamManager(pub);
  await jsm.streams.add({ name: 'RAWBENCH', subjects: ['rawbench.js.>'] });
  await jsm.consumers.add('RAWBENCH', { durable_name: 'raw', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.New, filter_subject: 'rawbench.js.>', max_ack_pending: 10_000 });
  const js = jetstream(pub);
  const raw = new Flow();
  const consumer = await jetstream(sub).consumers.get('RAWBENCH', 'raw');
  const messages = await consumer.consume({ max_messages: 1000 });
  void (async () => {
    for await (const m of messages) {
      m.ack();
      raw.arrived();
    }
  })();
  const rawCase = raw.case('raw JetStream: publish (PubAck) → durable consumer (ack), 1 KiB', 500, 2000, (n) =>
    Promise.all(Array.from({ length: n }, () => js.publish('rawbench.js.x', RAW_PAYLOAD))),
  );
  const pair = await meshPair((c, role) => {
    c.nats = [server.url];
    if (role === 'a') {
      c.backends.nats.import = false;
      c.backends.bridges = [{ topics: 'bench.*', to: 'nats', mode: 'plaintext' }];
    }
  });
  try {
    return await measurePair(ctx, 'Backends: mesh → NATS JetStream → mesh', [meshCase('mesh → JetStream → mesh (PubAck, durable consumer, ack)', pair, 500, 2000)], rawCase, [
      'Raw: nats.js `js.publish` awaited per message (up to 2000 in flight end to end), a durable pull consumer on another connection acks each message.',
      'Mesh: the same path as above through JetStream: the adapter publishes with msgID and waits for the PubAck; node B reads its durable consumer and acks after delivery.',
    ]);
  } finally {
    await messages.close();
    await pair.close();
    await pub.close();
    await sub.close();
  }
}

async function natsFabric(ctx: BenchContext, server: NatsServer): Promise<BenchSection> {
  const pub = await connect({ servers: server.url });
  const sub = await connect({ servers: server.url });
  const jsm = await jetstreamManager(pub);
  await jsm.streams.add({ name: 'RAWFABRIC', subjects: ['rawfabric.>'] });
  const js = jetstream(pub);
  const closers: Array<() => Promise<unknown>> = [];
  /** Raw: publish (PubAck) → durable pull consumer that acks each message, with `maxAckPending` unacked at most. */
  const rawCase = async (maxAckPending: number, name: string, msgId = false) => {
    const durable = `raw${maxAckPending}${msgId ? 'id' : ''}`;
    await jsm.consumers.add('RAWFABRIC', { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: `rawfabric.${durable}`, max_ack_pending: maxAckPending });
    const flow = new Flow();
    const messages = await (await jetstream(sub).consumers.get('RAWFABRIC', durable)).consume({ max_messages: Math.max(16, maxAckPending) });
    closers.push(() => messages.close());
    void (async () => {
      for await (const m of messages) {
        m.ack();
        flow.arrived();
      }
    })();
    let seq = 0;
    return flow.case(name, 100, 400, (n) =>
      Promise.all(Array.from({ length: n }, () => js.publish(`rawfabric.${durable}`, RAW_PAYLOAD, msgId ? { msgID: `bench/${++seq}` } : {}))),
    );
  };
  const logger = pino({ level: 'silent' });
  const from = makeNode().id;
  /** Ours: relay 1 forwards WebpushMessages (1 KiB body) for a node attached to relay 2, whose deliver() resolves true at once. */
  const fabricCase = async (maxAckPending: number, name: string, nodes = 1) => {
    const relay1 = await NatsFabric.open({ servers: [server.url], maxAgeSeconds: 3600, logger, maxAckPending, name: 'bench-relay-1' });
    const relay2 = await NatsFabric.open({ servers: [server.url], maxAgeSeconds: 3600, logger, maxAckPending, name: 'bench-relay-2' });
    closers.push(() => relay1.close(), () => relay2.close());
    const dests = Array.from({ length: nodes }, () => makeNode().id);
    const flow = new Flow();
    for (const dest of dests) {
      await relay2.attach(dest, async () => {
        flow.arrived();
        return true;
      });
    }
    let turn = 0;
    return flow.case(name, 100, 400, (n) =>
      Promise.all(
        Array.from({ length: n }, () => {
          const dest = dests[turn++ % dests.length]!;
          const { wire } = fabricWire(from, dest, { body: RAW_PAYLOAD });
          return relay1.forward(dest, wire, { ttlSeconds: 3600 });
        }),
      ),
    );
  };
  try {
    const base = await rawCase(1000, 'raw JetStream: publish (PubAck) → durable consumer (ack), max_ack_pending 1000, 1 KiB');
    const raw1 = await rawCase(1, 'raw JetStream, max_ack_pending 1 (strict order, as the fabric)');
    const raw1id = await rawCase(1, 'raw JetStream, max_ack_pending 1, with Nats-Msg-Id (dedupe, as the fabric)', true);
    const fabric1 = await fabricCase(1, 'fabric: forward → JetStream → deliver (default, max_ack_pending 1)');
    const fabric32 = await fabricCase(32, 'fabric with maxAckPending 32');
    const fabric8 = await fabricCase(1, 'fabric, 8 nodes in turn (max_ack_pending 1 each)', 8);
    const title = 'Scale-out fabric: relay → NATS JetStream → relay';
    ctx.log(`  ${title}`);
    const cases = [base, raw1, raw1id, fabric1, fabric32, fabric8];
    const results = await measureGroup(cases, { seconds: ctx.seconds, sliceMs: 250, warmupMs: 500 });
    const [b, r1, r1id, f1, f32, f8] = results.map((r, i) => perMessage(r, cases[i]!.batch)) as [CaseResult, CaseResult, CaseResult, CaseResult, CaseResult, CaseResult];
    return {
      title,
      rows: [row(b), compared(r1, b), compared(r1id, b), compared(f1, b), compared(f1, r1id), compared(f32, b), compared(f8, b)],
      notes: [
        'Raw: nats.js `js.publish` of 1 KiB (up to 400 in flight end to end), a durable pull consumer on another connection acks each message.',
        'Fabric: relay 1 `forward()`s a WebpushMessage with a 1 KiB body (built and encoded per message, decoded again by the fabric for its from/id/TTL) for a node attached to relay 2; relay 2\'s deliver() resolves true at once and the fabric acks. A node\'s messages are one consumer: one node gives the per-node rate; with 8 nodes (messages sent to them in turn) the consumers work side by side.',
      ],
    };
  } finally {
    for (const c of closers) await c().catch(() => undefined);
    await pub.close();
    await sub.close();
  }
}

async function pubsub(ctx: BenchContext, emulator: PubSubEmulator): Promise<BenchSection> {
  process.env['PUBSUB_EMULATOR_HOST'] = emulator.host;
  const client = new PubSub({ projectId: 'pushmesh-bench' });
  const [topic] = await client.createTopic('raw-bench');
  topic.setPublishOptions({ batching: { maxMessages: 500, maxMilliseconds: 5 } });
  const [subscription] = await topic.createSubscription('raw-bench-sub');
  subscription.setOptions({ flowControl: { maxMessages: 1000 } });
  const raw = new Flow();
  subscription.on('message', (m: PubSubMessage) => {
    m.ack();
    raw.arrived();
  });
  const rawCase = raw.case('raw Pub/Sub emulator: publish → subscription (ack), 1 KiB', 250, 1000, (n) =>
    Promise.all(Array.from({ length: n }, () => topic.publishMessage({ data: RAW_PAYLOAD }))),
  );
  const pair = await meshPair((c, role) => {
    c.pubsub = 'pushmesh-bench';
    if (role === 'a') {
      c.backends.pubsub.import = false;
      c.backends.bridges = [{ topics: 'bench.*', to: 'pubsub', mode: 'plaintext' }];
    }
  });
  try {
    return await measurePair(ctx, 'Backends: mesh → Pub/Sub emulator → mesh', [meshCase('mesh → Pub/Sub → mesh (binary ce- attributes, ack after delivery)', pair, 250, 1000)], rawCase, [
      'Raw: @google-cloud/pubsub publishes 1 KiB messages (batched) to a topic; a streaming-pull subscription in the same process acks them.',
      'Mesh: node A exports to topic pushmesh-events; node B reads its subscription and acks after delivery.',
    ]);
  } finally {
    await subscription.close();
    await pair.close();
    await client.close();
  }
}

async function available(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export const backendsBench: BenchModule = {
  name: 'backends',
  async run(ctx) {
    const sections: BenchSection[] = [];
    if (await available(NATS_SERVER)) {
      const server = await startNatsServer();
      try {
        sections.push(await natsCore(ctx, server));
        sections.push(await natsJetStream(ctx, server));
        sections.push(await natsFabric(ctx, server));
      } finally {
        await server.stop();
      }
    } else {
      sections.push({ title: 'Backends: NATS', rows: [], notes: [`skipped: ${NATS_SERVER} not found`] });
    }
    let emulator: PubSubEmulator | null = null;
    try {
      emulator = await startPubSubEmulator();
    } catch (err) {
      sections.push({ title: 'Backends: Pub/Sub emulator', rows: [], notes: [`skipped: ${(err as Error).message.split('\n')[0]}`] });
    }
    if (emulator) {
      try {
        sections.push(await pubsub(ctx, emulator));
      } finally {
        await emulator.stop();
      }
    }
    return sections;
  },
};

