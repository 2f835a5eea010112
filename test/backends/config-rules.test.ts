import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BackendError } from '../../src/errors/backend-error.js';
import { DeliveryQueue } from '../../src/backends/delivery-queue.js';
import { backoffDelay, DEFAULT_DELIVERY } from '../../src/backends/retry-policy.js';
import { TopicPattern } from '../../src/backends/topic-pattern.js';
import { layerFromEnv, layerFromFile, parseBridgeSpec, resolveConfig } from '../../src/config/index.js';
import { pushmeshError } from '../helpers/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('bridge rules and backend settings', () => {
  it('--bridge: TOPICS=TARGET[,mode][,recipient=ID][,destination=D]', () => {
    assert.deepEqual(parseBridgeSpec('orders.*=nats,plaintext'), { topics: 'orders.*', to: 'nats', mode: 'plaintext' });
    assert.deepEqual(parseBridgeSpec('*=pubsub'), { topics: '*', to: 'pubsub', mode: 'encrypted' });
    const id = 'a'.repeat(52);
    assert.deepEqual(parseBridgeSpec(`x=nats,recipient=${id},destination=vault.{recipient}`), { topics: 'x', to: 'nats', mode: 'encrypted', recipient: id, destination: 'vault.{recipient}' });
    assert.deepEqual(parseBridgeSpec('a=https://hooks.example/ce?k=v,plaintext'), { topics: 'a', to: 'https://hooks.example/ce?k=v', mode: 'plaintext' });
    assert.throws(() => parseBridgeSpec('x=nats,plaintext,recipient=self'), pushmeshError('ERR_CONFIG', /only makes sense in encrypted mode/));
    assert.throws(() => parseBridgeSpec('x=nats,destination=s.{topic}'), pushmeshError('ERR_CONFIG', /secret topic in the clear/));
    assert.throws(() => parseBridgeSpec('x=ftp://h/x'), pushmeshError('ERR_CONFIG'));
    assert.throws(() => parseBridgeSpec('x=http://[bad,plaintext'), pushmeshError('ERR_CONFIG', /not a URL/));
  });

  it('the config file: bridges (mappings or flag strings) and backends; flags replace the file\'s bridges', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'c.yaml');
    await writeFile(
      file,
      `nats: [nats://127.0.0.1:4222]
bridges:
  - { topics: "orders.*", to: nats, mode: plaintext }
  - "alerts=audit,plaintext"
backends:
  nats: { subjectPrefix: acme.mesh, jetstream: false, contentMode: binary }
  pubsub: { topic: acme-events, subscription: acme-node-1 }
  webhooks:
    - { name: audit, url: "https://audit.example/ce", headers: { authorization: "Bearer t" }, maxAttempts: 3 }
`,
    );
    const cfg = resolveConfig(dir, [await layerFromFile(file)]);
    assert.deepEqual(cfg.backends.bridges, [
      { topics: 'orders.*', to: 'nats', mode: 'plaintext' },
      { topics: 'alerts', to: 'audit', mode: 'plaintext' },
    ]);
    assert.equal(cfg.backends.nats.subjectPrefix, 'acme.mesh');
    assert.equal(cfg.backends.nats.jetstream, false);
    assert.equal(cfg.backends.nats.stream, 'PUSHMESH_EVENTS');
    assert.deepEqual([cfg.backends.nats.fabric, cfg.backends.nats.fabricStream, cfg.backends.nats.fabricMaxPerNode], [false, 'PUSHMESH_FABRIC', 10_000]);
    assert.equal(cfg.backends.pubsub.subscription, 'acme-node-1');
    assert.equal(cfg.backends.webhooks[0]!.maxAttempts, 3);
    assert.equal(cfg.backends.webhooks[0]!.initialBackoffMs, 500);
    assert.deepEqual(cfg.backends.webhooks[0]!.headers, { authorization: 'Bearer t' });

    const withFlags = resolveConfig(dir, [{ bridges: [parseBridgeSpec('*=nats')] }, await layerFromFile(file)]);
    assert.deepEqual(withFlags.backends.bridges, [{ topics: '*', to: 'nats', mode: 'encrypted' }]);
    const fromEnv = resolveConfig(dir, [layerFromEnv({ PUSHMESH_BRIDGES: 'a=nats,plaintext; b=pubsub' })]);
    assert.deepEqual(fromEnv.backends.bridges.map((b) => `${b.topics}>${b.to}:${b.mode}`), ['a>nats:plaintext', 'b>pubsub:encrypted']);
  });

  it('unknown or wrong backend settings in the file are errors', async (t) => {
    const dir = await tempDir(t);
    const bad = async (yaml: string, message: RegExp): Promise<void> => {
      const file = join(dir, `b${Math.random()}.yaml`);
      await writeFile(file, yaml);
      await assert.rejects(layerFromFile(file), pushmeshError('ERR_CONFIG', message));
    };
    await bad('backends: { kafka: {} }', /unknown setting "backends.kafka"/);
    await bad('backends: { nats: { jetstream: "yes" } }', /"jetstream" must be true or false/);
    await bad('backends: { nats: { subjectPrefix: "a..b" } }', /subjectPrefix/);
    await bad('backends: { nats: { contentMode: "fancy" } }', /contentMode must be binary or structured/);
    await bad('backends: { webhooks: [ { name: x } ] }', /"url" is required/);
    await bad('backends: { pubsub: { configRetentionSeconds: 5 } }', /600-2678400/);
    await bad('bridges: [ { topics: a, to: nats, colour: red } ]', /unknown bridge setting "colour"/);
    await bad('bridges: { a: b }', /"bridges" must be a list/);
    await bad('backends: { nats: { fabricMaxPerNode: 0 } }', /fabricMaxPerNode must be at least 1/);
    await bad('backends: { nats: { fabric: true, jetstream: false } }', /fabric needs JetStream/);
    await bad('backends: { nats: { fabricStream: "a.b" } }', /fabricStream must be 1-64/);
  });

  it('topic patterns: * any characters, ? one, the rest literally', () => {
    const p = new TopicPattern('orders.*');
    assert.ok(p.matches('orders.created'));
    assert.ok(p.matches('orders.eu.created'));
    assert.ok(!p.matches('ordersX'));
    assert.ok(new TopicPattern('*').matches('anything at all'));
    assert.ok(new TopicPattern('a?c').matches('abc'));
    assert.ok(!new TopicPattern('a+c').matches('aac'));
    assert.ok(new TopicPattern('a+c').matches('a+c'));
  });

  it('backoff: doubles per attempt with ±20 % jitter, capped, Retry-After honoured up to the cap', () => {
    const p = { ...DEFAULT_DELIVERY, initialBackoffMs: 100, maxBackoffMs: 1000 };
    assert.equal(backoffDelay(p, 1, undefined, () => 0.5), 100);
    assert.equal(backoffDelay(p, 2, undefined, () => 0.5), 200);
    assert.equal(backoffDelay(p, 3, undefined, () => 0), 320);
    assert.equal(backoffDelay(p, 3, undefined, () => 1), 480);
    assert.equal(backoffDelay(p, 10, undefined, () => 1), 1000);
    assert.equal(backoffDelay(p, 1, 700, () => 0.5), 700);
    assert.equal(backoffDelay(p, 1, 60_000, () => 0.5), 1000);
  });

  it('delivery queue: retries retryable failures, keeps order with one worker, drops when full', async () => {
    const sent: string[] = [];
    const failed: string[] = [];
    let flaky = 2;
    const q = new DeliveryQueue<string>(
      { concurrency: 1, queueLimit: 3, maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 5 },
      async (item) => {
        if (item === 'b' && flaky-- > 0) throw new BackendError('busy', { retryable: true });
        if (item === 'c') throw new BackendError('refused', { retryable: false });
        sent.push(item);
      },
      { delivered: () => {}, failed: (item) => failed.push(item), retrying: () => {} },
    );
    assert.ok(q.push('a'));
    assert.ok(q.push('b'));
    assert.ok(q.push('c'));
    assert.ok(q.push('d'));
    assert.equal(q.push('e'), false, 'full: a is in flight, b c d wait');
    await q.drain();
    assert.deepEqual(sent, ['a', 'b', 'd']);
    assert.deepEqual(failed, ['c']);
  });
});
