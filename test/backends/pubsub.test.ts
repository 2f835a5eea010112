import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { PubSub, type Message } from '@google-cloud/pubsub';
import { pino } from 'pino';
import { PubSubAdapter } from '../../adapters/pubsub/pubsub-adapter.js';
import { defaultBackends } from '../../src/config/index.js';
import { tempHome } from '../helpers/temp-dir.js';
import { Collector, fakeSignedConfig, versionOf } from './support/fake-jws.js';
import { testLogger, startTestNode, type TestNode } from './support/node.js';
import { startPubSubEmulator, type PubSubEmulator } from './support/pubsub-emulator.js';
import { openSse, type SseClient } from '../helpers/sse.js';

const PROJECT = 'pushmesh-test';

interface AppMessage {
  id: string;
  from: string;
  topic: string;
  meta: Record<string, string>;
  data: unknown;
}

describe('Google Pub/Sub adapter against the Pub/Sub emulator', { timeout: 240_000 }, () => {
  let emulator: PubSubEmulator;
  let outside: PubSub;
  const nodes: TestNode[] = [];
  const sses: SseClient[] = [];
  const extra: PubSubAdapter[] = [];

  const node = async (home: string, bridges: Array<{ topics: string; mode: 'plaintext' | 'encrypted' }> = []): Promise<TestNode> => {
    const n = await startTestNode(home, (c) => {
      c.pubsub = PROJECT;
      c.backends.bridges = bridges.map((b) => ({ ...b, to: 'pubsub' }));
    });
    nodes.push(n);
    return n;
  };

  before(async () => {
    emulator = await startPubSubEmulator();
    process.env['PUBSUB_EMULATOR_HOST'] = emulator.host;
    outside = new PubSub({ projectId: PROJECT });
  });
  after(async () => {
    for (const c of sses) c.close();
    for (const n of nodes) await n.stop();
    for (const a of extra) await a.close();
    await outside?.close();
    await emulator?.stop();
  });

  it('creates its topic and subscription on demand; a plain client\'s binary-mode event reaches a local app', async (t) => {
    const n = await node(await tempHome(t));
    const [subs] = await outside.topic('pushmesh-events').getSubscriptions();
    assert.ok(subs.some((s) => s.name.endsWith(`/pushmesh-${n.node.identity.id}`)), 'the node made its subscription');

    const app = await openSse(`${n.api}/msg/invoices.paid`);
    sses.push(app);
    await outside.topic('pushmesh-events').publishMessage({
      data: Buffer.from(JSON.stringify({ invoice: 'INV-7', amount: 12.5 })),
      attributes: {
        'ce-specversion': '1.0',
        'ce-id': 'evt-7',
        'ce-source': '//billing.example.com/invoices',
        'ce-type': 'invoices.paid',
        'ce-time': '2024-02-03T04:05:06Z',
        'ce-tenant': 'acme corp',
        'content-type': 'application/json',
      },
    });
    const [got] = await app.waitForMessages<AppMessage>(1, 60_000);
    assert.equal(got!.id, 'evt-7');
    assert.equal(got!.topic, 'invoices.paid');
    assert.deepEqual(got!.data, { invoice: 'INV-7', amount: 12.5 });
    assert.deepEqual(got!.meta, { 'ce-source': '//billing.example.com/invoices', tenant: 'acme corp' });
  });

  it('the reverse: a local app\'s message reaches a plain Pub/Sub subscriber as binary-mode ce- attributes', async (t) => {
    const n = await node(await tempHome(t), [{ topics: 'alerts.*', mode: 'plaintext' }]);
    const [sub] = await outside.topic('pushmesh-events').createSubscription(`outside-${Date.now()}`);
    const received: Message[] = [];
    const arrived = new Promise<void>((resolve) => {
      sub.on('message', (m: Message) => {
        m.ack();
        if (m.attributes['ce-type'] === 'alerts.disk') {
          received.push(m);
          resolve();
        }
      });
    });
    const { id } = await n.send('alerts.disk', { host: 'db1', free: '2%' });
    await arrived;
    await sub.close();
    const m = received[0]!;
    assert.deepEqual(JSON.parse(m.data.toString()), { host: 'db1', free: '2%' });
    const a = m.attributes;
    assert.equal(a['ce-specversion'], '1.0');
    assert.equal(a['ce-id'], id);
    assert.equal(a['ce-source'], `pushmesh://${n.node.identity.id}`);
    assert.equal(a['ce-datacontenttype'], 'application/json');
    assert.equal(a['content-type'], 'application/json');
    assert.equal(a['ce-pushmeshttl'], '86400');
    assert.ok(!Number.isNaN(Date.parse(a['ce-time']!)));
  });

  it('messages that arrive while the node is down wait in its subscription (acked only once the mesh took them)', async (t) => {
    const home = await tempHome(t);
    const first = await node(home);
    // A node that was running goes down: it is reading its subscription (an event reached its app) before it stops.
    // (Stopped just after it started is the next test.)
    const up = await openSse(`${first.api}/msg/batch.up`);
    sses.push(up);
    await outside.topic('pushmesh-events').publishMessage({
      data: Buffer.from(JSON.stringify({ specversion: '1.0', id: `up-${Date.now()}`, source: '/batch', type: 'batch.up', data: 'up' })),
      attributes: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
    });
    await up.waitForMessages(1, 60_000);
    up.close();
    await first.stop('drain');
    for (const id of ['late-1', 'late-2']) {
      await outside.topic('pushmesh-events').publishMessage({
        data: Buffer.from(JSON.stringify({ specversion: '1.0', id, source: '/batch', type: 'batch.done', data: id })),
        attributes: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      });
    }
    const again = await node(home);
    const app = await openSse(`${again.api}/msg/batch.done?since=0`);
    sses.push(app);
    const got = await app.waitForMessages<AppMessage>(2, 60_000);
    assert.deepEqual(got.map((m) => m.data).sort(), ['late-1', 'late-2']);
  });

  it('a node stopped just after it started leaves no stream pull behind to swallow the messages that wait for it', async (t) => {
    // grpc-js 1.14 starts a call cancelled before its metadata went out: the adapter lets the calls it started reach
    // the wire before it closes them. A stream pull left open would get the messages below and drop them (the stopped
    // node logs "push() after EOF" as a subscription error); they would come back only after the stream ack deadline.
    const home = await tempHome(t);
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    const first = await startTestNode(home, (c) => (c.pubsub = PROJECT), logger);
    nodes.push(first);
    await first.stop('drain');
    for (const id of ['quick-1', 'quick-2']) {
      await outside.topic('pushmesh-events').publishMessage({
        data: Buffer.from(JSON.stringify({ specversion: '1.0', id, source: '/quick', type: 'quick.done', data: id })),
        attributes: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      });
    }
    const again = await node(home);
    const app = await openSse(`${again.api}/msg/quick.done?since=0`);
    sses.push(app);
    const got = await app.waitForMessages<AppMessage>(2, 60_000);
    assert.deepEqual(got.map((m) => m.data).sort(), ['quick-1', 'quick-2']);
    assert.deepEqual(warnings.filter((w) => w.includes('subscription error')), [], 'nothing reached a stream of the stopped node');
  });

  it('refuses an invalid event (acked, counted) and still delivers the next one', async (t) => {
    const n = await node(await tempHome(t));
    const app = await openSse(`${n.api}/msg/fine`);
    sses.push(app);
    await outside.topic('pushmesh-events').publishMessage({ data: Buffer.from('{}'), attributes: { 'ce-specversion': '1.0', 'ce-type': 'broken' } });
    await outside.topic('pushmesh-events').publishMessage({ data: Buffer.from('"ok"'), attributes: { 'ce-specversion': '1.0', 'ce-id': 'fine-1', 'ce-source': '/s', 'ce-type': 'fine', 'content-type': 'application/json' } });
    const [got] = await app.waitForMessages<AppMessage>(1, 60_000);
    assert.equal(got!.data, 'ok');
    const metrics = await (await fetch(`${n.api}/metrics`)).text();
    assert.match(metrics, /pushmesh_backend_events_total\{backend="pubsub",direction="in",result="refused"\} [1-9]/);
  });

  it('config channel: two versions published; a late subscriber gets the latest, then new ones', async () => {
    const mk = (): PubSubAdapter => {
      const a = new PubSubAdapter({ projectId: PROJECT, settings: { ...defaultBackends().pubsub, import: false }, logger: testLogger() });
      extra.push(a);
      return a;
    };
    const publisher = mk().configChannel();
    await publisher.publish(fakeSignedConfig('fleet', 'limits', 1));
    await publisher.publish(fakeSignedConfig('fleet', 'limits', 2));

    const got = new Collector();
    const stop = new AbortController();
    const done = mk().configChannel().subscribe(got.push, stop.signal);
    await got.until((items) => items.some((j) => versionOf(j).version === 2), 60_000);
    assert.ok(got.items.every((j) => versionOf(j).name === 'limits'));
    const latest = Math.max(...got.items.map((j) => versionOf(j).version));
    assert.equal(latest, 2);

    await publisher.publish(fakeSignedConfig('fleet', 'limits', 3));
    await got.until((items) => items.some((j) => versionOf(j).version === 3), 60_000);
    stop.abort();
    await done;
  });
});
