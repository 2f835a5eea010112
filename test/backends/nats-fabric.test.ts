import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { createFabric } from '../../adapters/index.js';
import { NatsFabric, type NatsFabricOptions } from '../../adapters/nats/nats-fabric.js';
import { defaultConfig } from '../../src/config/index.js';
import { isPushmeshError } from '../../src/errors/index.js';
import { makeNode } from '../message/nodes.js';
import { Deliveries, fabricWire } from './support/fabric.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';
import { testLogger } from './support/node.js';

const A = makeNode().id; // the sender every message comes from
const STREAM = 'PUSHMESH_FABRIC';
const ACK_WAIT_MS = 2000;

describe('NATS fabric: relays sharing one JetStream (real nats-server)', { timeout: 180_000 }, () => {
  let server: NatsServer;
  let outside: NatsConnection;
  const fabrics: NatsFabric[] = [];
  /** Added to Date.now() on relay 1 (to let short TTLs run out without sleeping). */
  let skew = 0;
  const drops: string[] = [];
  let relay1: NatsFabric;
  let relay2: NatsFabric;

  const open = async (extra: Partial<NatsFabricOptions> = {}): Promise<NatsFabric> => {
    const f = await NatsFabric.open({ servers: [server.url], maxAgeSeconds: 3600, logger: testLogger(), ackWaitMs: ACK_WAIT_MS, retryDelayMs: 100, ...extra });
    fabrics.push(f);
    return f;
  };
  const forward = async (from: NatsFabric, to: string, overrides = {}): Promise<string> => {
    const { msg, wire } = fabricWire(A, to, overrides);
    await from.forward(to, wire, { ttlSeconds: msg.ttl });
    return msg.id;
  };

  before(async () => {
    server = await startNatsServer();
    outside = await connect({ servers: server.url });
    relay1 = await open({ name: 'relay-1', now: () => Date.now() + skew, onDropped: (reason, dest) => drops.push(`${reason}:${dest}`) });
    relay2 = await open({ name: 'relay-2' });
  });
  after(async () => {
    for (const f of fabrics) await f.close();
    await outside?.close();
    await server?.stop();
  });

  it('creates one stream: node subjects, max age = maxTtl, per-node limit, discard old, dedupe window', async () => {
    const info = await (await jetstreamManager(outside)).streams.info(STREAM);
    assert.deepEqual(info.config.subjects, ['pushmesh.fabric.node.>']);
    assert.equal(info.config.max_age, 3600 * 1e9);
    assert.equal(info.config.max_msgs_per_subject, 10_000);
    assert.equal(info.config.discard, 'old');
    assert.equal(info.config.storage, 'file');
    assert.equal(info.config.duplicate_window, 120 * 1e9);
  });

  it('B on relay 2 gets what relay 1 forwards, in order, each once; B moves to relay 1 and gets exactly the unexpired messages that waited', async () => {
    const B = makeNode().id;
    const got2 = new Deliveries();
    const detach2 = await relay2.attach(B, got2.deliver);
    const first = [await forward(relay1, B), await forward(relay1, B), await forward(relay1, B)];
    await got2.until(() => got2.accepted.length >= 3, 'three messages on relay 2');
    assert.deepEqual(got2.calls, first);

    // The consumer is durable and named after B; detaching keeps it.
    await detach2();
    const jsm = await jetstreamManager(outside);
    const ci = await jsm.consumers.info(STREAM, `pushmesh-fabric-${B}`);
    assert.equal(ci.config.filter_subject, `pushmesh.fabric.node.${B}`);
    assert.equal(ci.config.max_ack_pending, 1);
    assert.equal(ci.config.ack_policy, 'explicit');

    // 100 messages while B is attached nowhere; every 7th lives 2 s only.
    const kept: string[] = [];
    let short = 0;
    for (let i = 0; i < 100; i++) {
      const ttl = i % 7 === 0 ? 2 : 3600;
      const id = await forward(relay1, B, { ttl });
      if (ttl === 2) short++;
      else kept.push(id);
    }
    assert.equal(short, 15);
    const info = await jsm.streams.info(STREAM, { subjects_filter: `pushmesh.fabric.node.${B}` });
    assert.equal(info.state.subjects?.[`pushmesh.fabric.node.${B}`], 103, 'the three delivered are still in the stream (limits retention), the consumer is past them');

    // B reconnects to relay 1, 10 s later by relay 1's clock.
    skew = 10_000;
    const got1 = new Deliveries();
    const detach1 = await relay1.attach(B, got1.deliver);
    const sentinel = await forward(relay1, B);
    await got1.got(sentinel, 30_000);
    assert.deepEqual(got1.calls, [...kept, sentinel], 'the unexpired ones, in order, each once, nothing delivered twice');
    assert.equal(relay1.stats().expired, 15);
    assert.equal(drops.filter((d) => d === `expired:${B}`).length, 15);
    assert.deepEqual(got2.calls, first, 'relay 2 got nothing after B left it');
    await detach1();
    skew = 0;
  });

  it('deliver() answering false: the message is handed out again (after a back-off) before anything behind it', async () => {
    const C = makeNode().id;
    const got = new Deliveries();
    const refuseOnce = new Set<string>();
    got.answer = (id, attempt) => !(refuseOnce.has(id) && attempt === 1);
    const m1 = fabricWire(A, C);
    refuseOnce.add(m1.msg.id);
    const detach = await relay2.attach(C, got.deliver);
    await relay1.forward(C, m1.wire, { ttlSeconds: 3600 });
    const m2 = await forward(relay1, C);
    await got.got(m2);
    assert.deepEqual(got.calls, [m1.msg.id, m1.msg.id, m2]);
    assert.deepEqual(got.accepted, [m1.msg.id, m2]);
    await detach();
  });

  it('a retried forward of the same message is stored once (Nats-Msg-Id = from/id)', async () => {
    const D = makeNode().id;
    const { msg, wire } = fabricWire(A, D);
    const before = relay1.stats();
    await relay1.forward(D, wire, { ttlSeconds: 3600 });
    await relay2.forward(D, wire, { ttlSeconds: 3600 }); // another relay retrying it
    await relay1.forward(D, wire, { ttlSeconds: 3600 });
    const info = await (await jetstreamManager(outside)).streams.info(STREAM, { subjects_filter: `pushmesh.fabric.node.${D}` });
    assert.equal(info.state.subjects?.[`pushmesh.fabric.node.${D}`], 1);
    assert.equal(relay1.stats().duplicates - before.duplicates, 1);
    assert.equal(relay2.stats().duplicates, 1);

    const got = new Deliveries();
    const detach = await relay1.attach(D, got.deliver);
    const sentinel = await forward(relay1, D);
    await got.got(sentinel);
    assert.deepEqual(got.calls, [msg.id, sentinel]);
    await detach();
  });

  it('a relay that dies while delivering (no ack): the message goes to the relay the node attaches to next', async () => {
    const E = makeNode().id;
    const dying = await open({ name: 'relay-dying' });
    let release!: (ok: boolean) => void;
    const stuck = new Deliveries();
    stuck.answer = () => new Promise<boolean>((resolve) => (release = resolve));
    await dying.attach(E, stuck.deliver);
    const m1 = await forward(relay1, E);
    await stuck.until(() => stuck.calls.length === 1, 'the dying relay got the message');
    await dying.connection.close(); // the relay's connection is gone, the message unacknowledged

    const got = new Deliveries();
    const detach = await relay2.attach(E, got.deliver);
    const m2 = await forward(relay1, E);
    await got.got(m2, 30_000);
    assert.deepEqual(got.calls, [m1, m2], 'redelivered after ack_wait, still first');
    release(true); // the dead relay's late answer cannot ack any more; nothing breaks
    await dying.close();
    await detach();
  });

  it('a node linked to two relays: each message goes to one of them, none lost, none twice', async () => {
    const F = makeNode().id;
    const all = new Deliveries();
    const per = { one: 0, two: 0 };
    const d1 = await relay1.attach(F, (w) => (per.one++, all.deliver(w)));
    const d2 = await relay2.attach(F, (w) => (per.two++, all.deliver(w)));
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await forward(relay2, F));
    await all.until(() => all.accepted.length >= 30, 'all 30 across both relays');
    const sentinel = await forward(relay2, F);
    await all.got(sentinel);
    assert.deepEqual(all.calls, [...ids, sentinel], 'with max_ack_pending 1 even two relays hand them over in order');
    assert.equal(per.one + per.two, 31);
    await Promise.all([d1(), d2()]);
  });

  it('junk published on a node subject by an outside client is dropped and counted; the next good message still arrives', async () => {
    const G = makeNode().id;
    const js = jetstream(outside);
    const subject = `pushmesh.fabric.node.${G}`;
    const junk = await fc.sample(fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 20 })), 25);
    for (const [bytes, expires] of junk) {
      const h = natsHeaders();
      if (expires.length > 0) h.set('Pushmesh-Expires', expires.replace(/[\r\n:]/g, ''));
      await js.publish(subject, bytes, { headers: h });
    }
    const before = relay2.stats().badMessages;
    const got = new Deliveries();
    const detach = await relay2.attach(G, got.deliver);
    const good = await forward(relay1, G);
    await got.got(good);
    assert.deepEqual(got.calls, [good]);
    assert.equal(relay2.stats().badMessages - before, 25);
    await detach();
  });

  it('refuses a destination that is not a node ID and bytes that are not a WebpushMessage; expired messages are not forwarded', async () => {
    const H = makeNode().id;
    const { wire } = fabricWire(A, H);
    await assert.rejects(relay1.forward('pushmesh.>', wire, { ttlSeconds: 60 }), (e) => isPushmeshError(e) && e.code === 'ERR_BAD_ARGUMENT');
    await assert.rejects(relay1.attach('x*', async () => true), (e) => isPushmeshError(e) && e.code === 'ERR_BAD_ARGUMENT');
    await assert.rejects(relay1.forward(H, new Uint8Array([1, 2, 3]), { ttlSeconds: 60 }), (e) => isPushmeshError(e) && e.code === 'ERR_BAD_MESSAGE');
    const old = fabricWire(A, H, { time: Date.now() - 120_000, ttl: 60 });
    await assert.rejects(relay1.forward(H, old.wire, { ttlSeconds: 60 }), /expired/);
  });

  it('createFabric: null unless NATS is configured and backends.nats.fabric is on; on, a working NatsFabric (max age = limits.maxTtl)', async () => {
    const config = defaultConfig('/nonexistent-home');
    assert.equal(await createFabric(config, testLogger()), null);
    config.nats = [server.url];
    assert.equal(await createFabric(config, testLogger()), null, 'fabric: false by default');
    config.backends.nats.fabric = true;
    config.backends.nats.subjectPrefix = 'acme';
    config.backends.nats.fabricStream = 'ACME_FABRIC';
    config.limits.maxTtl = 600;
    const fabric = await createFabric(config, testLogger());
    assert.ok(fabric instanceof NatsFabric);
    try {
      const info = await (await jetstreamManager(outside)).streams.info('ACME_FABRIC');
      assert.deepEqual(info.config.subjects, ['acme.fabric.node.>']);
      assert.equal(info.config.max_age, 600 * 1e9);
      const J = makeNode().id;
      const got = new Deliveries();
      const detach = await fabric.attach(J, got.deliver);
      const { msg, wire } = fabricWire(A, J);
      await fabric.forward(J, wire, { ttlSeconds: 60 });
      await got.got(msg.id);
      await detach();
    } finally {
      await fabric.close();
    }
  });
});
