import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NatsAdapter } from '../../adapters/nats/nats-adapter.js';
import { defaultBackends } from '../../src/config/index.js';
import type { ConfigChannel } from '../../src/signed-config/channel.js';
import { Collector, fakeSignedConfig, versionOf } from './support/fake-jws.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';
import { testLogger } from './support/node.js';

const ctx = (id: string) => ({ nodeId: id, logger: testLogger(), ingest: async () => ({ kind: 'ignored' as const, reason: 'test' }) });

describe('NATS config channel (JetStream, last per subject)', { timeout: 60_000 }, () => {
  let server: NatsServer;
  let outside: NatsConnection;
  const adapters: NatsAdapter[] = [];

  const channel = async (id: string): Promise<ConfigChannel> => {
    const settings = { ...defaultBackends().nats, import: false };
    const a = new NatsAdapter({ servers: [server.url], settings, logger: testLogger() });
    adapters.push(a);
    await a.start(ctx(id.padEnd(52, 'a')));
    return a.configChannel!();
  };

  before(async () => {
    server = await startNatsServer();
    outside = await connect({ servers: server.url });
  });
  after(async () => {
    for (const a of adapters) await a.close();
    await outside?.close();
    await server?.stop();
  });

  it('publishes two versions; a late subscriber gets only the latest of each config, then new ones', async () => {
    const publisher = await channel('pub');
    await publisher.publish(fakeSignedConfig('fleet', 'limits', 1));
    await publisher.publish(fakeSignedConfig('fleet', 'limits', 2));
    await publisher.publish(fakeSignedConfig('fleet', 'routes', 7));

    // What the server kept: one message per subject, on the documented subjects.
    const jsm = await jetstreamManager(outside);
    const info = await jsm.streams.info('PUSHMESH_CONFIG', { subjects_filter: '>' });
    assert.equal(info.config.max_msgs_per_subject, 1);
    assert.deepEqual(info.state.subjects, { 'pushmesh.config.fleet.limits': 1, 'pushmesh.config.fleet.routes': 1 });

    const late = await channel('late');
    const got = new Collector();
    const stop = new AbortController();
    const done = late.subscribe(got.push, stop.signal);
    await got.until((items) => items.length >= 2, 20_000);
    assert.deepEqual(got.items.map(versionOf).map((v) => `${v.name}@${v.version}`).sort(), ['limits@2', 'routes@7']);

    await publisher.publish(fakeSignedConfig('fleet', 'limits', 3));
    await got.until((items) => items.some((j) => versionOf(j).version === 3), 20_000);
    assert.equal(got.items.length, 3);
    stop.abort();
    await done;
  });

  it('refuses to publish something that names no namespace and name', async () => {
    const c = await channel('bad');
    await assert.rejects(c.publish('not-a-jws'), /names no namespace and name/);
  });

  it('subscribe resolves at once when the signal is already aborted', async () => {
    const c = await channel('aborted');
    const stop = new AbortController();
    stop.abort();
    await c.subscribe(() => assert.fail('no config expected'), stop.signal);
  });
});
