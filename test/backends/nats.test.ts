import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers as natsHeaders, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { NatsAdapter } from '../../adapters/nats/nats-adapter.js';
import { PeerStore } from '../../src/identity/index.js';
import { encodePlaintext, recipientOf } from '../../src/message/index.js';
import { decodeWebpushMessage, encodeWebpushMessage, WEBPUSH_MESSAGE_TYPE_URL } from '../../src/proto/index.js';
import { encryptWebPush } from '../../src/webpush/index.js';

import { eventually, metricValue } from '../helpers/local-api.js';
import { tempHome } from '../helpers/temp-dir.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';
import { startTestNode, type TestNode } from './support/node.js';
import { openSse, type SseClient } from '../helpers/sse.js';

interface AppMessage {
  id: string;
  from: string;
  to: string;
  topic: string;
  time: number;
  meta: Record<string, string>;
  data: unknown;
  encoding?: string;
}

/** Messages on a core NATS subscription, collected as they arrive. */
function collect(nc: NatsConnection, subject: string): { msgs: Msg[]; next: (n: number, timeoutMs: number) => Promise<Msg[]> } {
  const msgs: Msg[] = [];
  const waiters = new Set<() => void>();
  nc.subscribe(subject, {
    callback: (_err, m) => {
      msgs.push(m);
      for (const w of [...waiters]) w();
    },
  });
  return {
    msgs,
    next: (n, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (msgs.length < n) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(msgs.slice(0, n));
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${msgs.length} of ${n} NATS messages on ${subject} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}

describe('NATS adapter against a real nats-server (JetStream)', { timeout: 120_000 }, () => {
  let server: NatsServer;
  let outside: NatsConnection;
  const nodes: TestNode[] = [];
  const sses: SseClient[] = [];

  const node = async (t: { after(fn: () => unknown): void }, bridges: string[] = [], home?: string): Promise<TestNode> => {
    const n = await startTestNode(home ?? (await tempHome(t)), (c) => {
      c.nats = [server.url];
      c.backends.bridges = bridges.map((b) => {
        const [topics, rest] = b.split('=') as [string, string];
        const [to, mode, recipient] = rest.split(',');
        return { topics, to: to!, mode: (mode ?? 'encrypted') as 'plaintext' | 'encrypted', ...(recipient ? { recipient } : {}) };
      });
    });
    nodes.push(n);
    return n;
  };
  const sse = async (url: string): Promise<SseClient> => {
    const c = await openSse(url);
    sses.push(c);
    return c;
  };

  before(async () => {
    server = await startNatsServer();
    outside = await connect({ servers: server.url, name: 'outside-test-client' });
  });
  after(async () => {
    for (const c of sses) c.close();
    for (const n of nodes) await n.stop();
    await outside?.close();
    await server?.stop();
  });

  it('publishes plaintext-bridged messages as structured CloudEvents an outside subscriber can read', async (t) => {
    const a = await node(t, ['orders.*=nats,plaintext']);
    const seen = collect(outside, 'pushmesh.ce.>');
    await outside.flush();
    await a.send('chat', { not: 'bridged' });
    const { id } = await a.send('orders.created', { order: 42, items: ['x'] }, 'urgency=high&ttl=600');
    const [m] = await seen.next(1, 20_000);
    assert.equal(m!.subject, 'pushmesh.ce.orders.created');
    assert.equal(m!.headers?.get('content-type'), 'application/cloudevents+json; charset=utf-8');
    const ev = JSON.parse(m!.string()) as Record<string, unknown>;
    assert.deepEqual(
      { ...ev, time: typeof ev['time'] },
      {
        specversion: '1.0',
        id,
        source: `pushmesh://${a.node.identity.id}`,
        type: 'orders.created',
        time: 'string',
        datacontenttype: 'application/json',
        data: { order: 42, items: ['x'] },
        pushmeshttl: 600,
        pushmeshurgency: 'high',
      },
    );
    assert.ok(Math.abs(Date.parse(ev['time'] as string) - Date.now()) < 60_000);
    // Only the bridged topic reached NATS (the chat message was sent first).
    const jsm = await jetstreamManager(outside);
    const info = await jsm.streams.info('PUSHMESH_EVENTS', { subjects_filter: '>' });
    assert.equal(info.state.subjects?.['pushmesh.ce.chat'], undefined);
    assert.equal(info.state.subjects?.['pushmesh.ce.orders.created'], 1);
  });

  it('delivers a plain NATS publisher\'s binary and structured CloudEvents to a local app over SSE', async (t) => {
    const b = await node(t);
    const app = await sse(`${b.api}/msg/sensors.temp`);
    const h = natsHeaders();
    h.set('ce-specversion', '1.0');
    h.set('ce-id', 'reading-1');
    h.set('ce-source', '/plant/boiler-1');
    h.set('ce-type', 'sensors.temp');
    h.set('ce-time', '2024-05-01T10:00:00.5Z');
    h.set('ce-datacontenttype', 'application/json');
    h.set('ce-unit', 'degr%C3%A9s%20C');
    outside.publish('pushmesh.ce.sensors.temp', Buffer.from('{"c":21.5}'), { headers: h });
    const structured = { specversion: '1.0', id: 'reading-2', source: '/plant/boiler', type: 'sensors.temp', subject: 'boiler-1', data: 'warm', datacontenttype: 'text/plain' };
    outside.publish('pushmesh.ce.sensors.temp', Buffer.from(JSON.stringify(structured)));
    const got = await app.waitForMessages<AppMessage>(2, 20_000);
    const [first, second] = [got.find((m) => m.data && typeof m.data === 'object')!, got.find((m) => m.data === 'warm')!];
    assert.ok(first && second, JSON.stringify(got));
    assert.equal(first.id, 'reading-1');
    assert.equal(first.topic, 'sensors.temp');
    assert.equal(first.from, b.node.identity.id);
    assert.equal(first.time, Date.parse('2024-05-01T10:00:00.5Z'));
    assert.deepEqual(first.data, { c: 21.5 });
    assert.deepEqual(first.meta, { 'ce-source': '/plant/boiler-1', unit: 'degrés C' });
    assert.equal(second.id, 'reading-2');
    assert.deepEqual(second.meta, { 'ce-source': '/plant/boiler', 'ce-subject': 'boiler-1', 'ce-datacontenttype': 'text/plain' });
  });

  it('refuses invalid events from NATS (terminated, counted) without losing the next good one', async (t) => {
    const c = await node(t);
    const app = await sse(`${c.api}/msg/after.bad`);
    const js = jetstream(outside);
    await js.publish('pushmesh.ce.bad', Buffer.from('{"specversion":"1.0","source":"/x","type":"bad"}'));
    await js.publish('pushmesh.ce.bad', Buffer.from('not json at all'));
    await js.publish('pushmesh.ce.after.bad', Buffer.from(JSON.stringify({ specversion: '1.0', id: 'ok-1', source: '/x', type: 'after.bad', data: { fine: true } })));
    const [m] = await app.waitForMessages<AppMessage>(1, 20_000);
    assert.deepEqual(m!.data, { fine: true });
    const metrics = await (await fetch(`${c.api}/metrics`)).text();
    assert.match(metrics, /pushmesh_backend_events_total\{backend="nats",direction="in",result="refused"\} 2/);
  });

  it('JetStream durability: events published while the node is down are delivered when it is back, each acked once', async (t) => {
    const home = await tempHome(t);
    const first = await node(t, [], home);
    const durable = `pushmesh-${first.node.identity.id}-ce`;
    await first.stop('drain');
    const js = jetstream(outside);
    const ids = ['job-1', 'job-2', 'job-3', 'job-4', 'job-5'];
    for (const id of ids) {
      const ack = await js.publish('pushmesh.ce.jobs', Buffer.from(JSON.stringify({ specversion: '1.0', id, source: '/scheduler', type: 'jobs', data: { id } })));
      assert.equal(ack.duplicate, false);
    }
    const jsm = await jetstreamManager(outside);
    const down = await jsm.consumers.info('PUSHMESH_EVENTS', durable);
    assert.equal(down.num_pending, ids.length, 'stored for the node while it is down');

    const again = await node(t, [], home);
    assert.equal(again.node.identity.id, first.node.identity.id);
    const app = await sse(`${again.api}/msg/jobs?since=0`);
    const got = await app.waitForMessages<AppMessage>(ids.length, 30_000);
    assert.deepEqual(got.map((m) => m.id).sort(), ids);
    // Acks are asynchronous: wait for the server to have them all, then check nothing was delivered twice.
    const deadline = Date.now() + 20_000;
    let info = await jsm.consumers.info('PUSHMESH_EVENTS', durable);
    while ((info.num_ack_pending > 0 || info.ack_floor.consumer_seq < ids.length) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      info = await jsm.consumers.info('PUSHMESH_EVENTS', durable);
    }
    assert.equal(info.num_pending, 0);
    assert.equal(info.num_ack_pending, 0);
    assert.equal(info.num_redelivered, 0);
    assert.equal(info.delivered.consumer_seq, ids.length, 'each event delivered exactly once');
    assert.equal(info.ack_floor.consumer_seq, ids.length, 'each event acked');
  });

  it('encrypted bridge (the default): outsiders see only a sealed WebpushMessage; the recipient node opens it', async (t) => {
    const recipient = await node(t);
    const senderHome = await tempHome(t);
    await new PeerStore(senderHome).add(recipient.node.card());
    const sender = await node(t, [`secret.*=nats,encrypted,${recipient.node.identity.id}`], senderHome);
    const seen = collect(outside, `pushmesh.sealed.${recipient.node.identity.id}`);
    await outside.flush();
    const app = await sse(`${recipient.api}/msg/secret.plans`);
    const { id } = await sender.send('secret.plans', { launch: 'tuesday-0900' });

    const [m] = await seen.next(1, 20_000);
    const raw = m!.string();
    assert.doesNotMatch(raw, /tuesday|secret\.plans|launch/);
    const ev = JSON.parse(raw) as Record<string, string>;
    assert.equal(ev['type'], 'pushmesh.sealed');
    assert.equal(ev['id'], id);
    assert.equal(ev['source'], `pushmesh://${sender.node.identity.id}`);
    assert.equal(ev['subject'], recipient.node.identity.id);
    assert.equal(ev['datacontenttype'], 'application/protobuf');
    assert.equal(ev['dataschema'], `https://${WEBPUSH_MESSAGE_TYPE_URL}`);
    const wire = decodeWebpushMessage(Buffer.from(ev['data_base64']!, 'base64'));
    assert.equal(wire.to, recipient.node.identity.id);
    assert.equal(wire.from, sender.node.identity.id);
    assert.doesNotMatch(Buffer.from(wire.body).toString('latin1'), /tuesday/);

    const [got] = await app.waitForMessages<AppMessage>(1, 20_000);
    assert.equal(got!.id, id);
    assert.equal(got!.from, sender.node.identity.id);
    assert.equal(got!.topic, 'secret.plans');
    assert.deepEqual(got!.data, { launch: 'tuesday-0900' });
  });

  it('an outside NATS writer cannot make a sealed event say another node wrote it: a captured event with its body swapped, or its MAC stripped, is refused', async (t) => {
    const recipient = await node(t);
    const senderHome = await tempHome(t);
    await new PeerStore(senderHome).add(recipient.node.card());
    const sender = await node(t, [`forge.*=nats,encrypted,${recipient.node.identity.id}`], senderHome);
    const subject = `pushmesh.sealed.${recipient.node.identity.id}`;
    const seen = collect(outside, subject);
    await outside.flush();
    const app = await sse(`${recipient.api}/msg`);
    const forge = (g: AppMessage): boolean => g.topic.startsWith('forge.');
    await sender.send('forge.real', { n: 1 });
    const [m] = await seen.next(1, 20_000);
    const captured = JSON.parse(m!.string()) as Record<string, string>;
    const wire = decodeWebpushMessage(Buffer.from(captured['data_base64']!, 'base64'));
    await app.waitForMessages<AppMessage>(1, 20_000, forge);

    // The writer encrypts its own body to the recipient's public card and keeps the sender's token and MAC (and makes the ids agree).
    const body = encryptWebPush(encodePlaintext({ id: 'forged-nats-1', topic: 'forge.evil', time: Date.now(), meta: {}, data: { kind: 'json', value: { evil: true } } }), recipientOf(recipient.node.card()));
    const swapped = { ...wire, id: 'forged-nats-1', body };
    const { senderMac: _mac, ...stripped } = { ...swapped, id: 'forged-nats-2' };
    for (const forged of [swapped, stripped]) {
      outside.publish(subject, Buffer.from(JSON.stringify({ ...captured, id: forged.id, data_base64: Buffer.from(encodeWebpushMessage(forged)).toString('base64') })));
    }
    await outside.flush();
    // A genuine message after them still arrives, and nothing else did.
    await sender.send('forge.after', { n: 2 });
    await app.waitForMessages<AppMessage>(1, 20_000, (g) => g.topic === 'forge.after');
    const got = app.messages<AppMessage>().filter(forge);
    assert.deepEqual(got.map((g) => g.topic), ['forge.real', 'forge.after']);
    assert.ok(got.every((g) => g.from === sender.node.identity.id));
    // Both forgeries were seen and refused (counted), not merely late.
    const refused = await eventually(
      async () => metricValue(await (await fetch(`${recipient.api}/metrics`)).text(), 'pushmesh_backend_events_total', { backend: 'nats', direction: 'in', result: 'refused' }),
      (n) => n >= 2,
      20_000,
      'two refused events',
    );
    assert.equal(refused, 2);
    assert.equal(app.messages<AppMessage>().filter(forge).length, 2);
  });

  it('binary content mode on NATS: ce- headers, percent-encoded values, data as payload', async (t) => {
    const home = await tempHome(t);
    const n = await startTestNode(home, (c) => {
      c.nats = [server.url];
      c.backends.nats.contentMode = 'binary';
      c.backends.bridges = [{ topics: 'bin.*', to: 'nats', mode: 'plaintext' }];
    });
    nodes.push(n);
    const seen = collect(outside, 'pushmesh.ce.bin.>');
    await outside.flush();
    const res = await fetch(`${n.api}/msg/bin.text`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'grüße 100%' });
    assert.equal(res.status, 202);
    const [m] = await seen.next(1, 20_000);
    assert.equal(m!.headers?.get('ce-type'), 'bin.text');
    assert.equal(m!.headers?.get('ce-specversion'), '1.0');
    assert.equal(m!.headers?.get('ce-datacontenttype'), 'text/plain;%20charset=utf-8');
    assert.equal(m!.string(), 'grüße 100%');
  });

  it('a node configured without JetStream uses core NATS subjects', async (t) => {
    const n = await startTestNode(await tempHome(t), (c) => {
      c.nats = [server.url];
      c.backends.nats.jetstream = false;
      c.backends.bridges = [{ topics: 'core.*', to: 'nats', mode: 'plaintext' }];
    });
    nodes.push(n);
    assert.ok(n.bridge!.adapters[0] instanceof NatsAdapter);
    assert.equal((n.bridge!.adapters[0] as NatsAdapter).configChannel, undefined);
    const seen = collect(outside, 'pushmesh.ce.core.>');
    await outside.flush();
    const app = await sse(`${n.api}/msg/core.in`);
    await n.send('core.out', { a: 1 });
    const [m] = await seen.next(1, 20_000);
    assert.equal((JSON.parse(m!.string()) as { type: string }).type, 'core.out');
    outside.publish('pushmesh.ce.core.in', Buffer.from(JSON.stringify({ specversion: '1.0', id: 'core-1', source: '/c', type: 'core.in', data: 1 })));
    const [got] = await app.waitForMessages<AppMessage>(1, 20_000);
    assert.equal(got!.data, 1);
  });
});

