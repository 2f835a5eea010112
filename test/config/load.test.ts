import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isPushmeshError } from '../../src/errors/index.js';
import { layerFromEnv, layerFromFile, parseHostPort, resolveConfig } from '../../src/config/index.js';
import { pushmeshError } from '../helpers/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('configuration: flags > environment > file > defaults', () => {
  it('embedded defaults need nothing', () => {
    const c = resolveConfig('/h', []);
    assert.deepEqual(c.local, { host: '127.0.0.1', port: 15004 });
    assert.deepEqual(c.https, { host: '0.0.0.0', port: 15443 });
    assert.deepEqual(c.grpc, { host: '0.0.0.0', port: 15007 });
    assert.equal(c.logLevel, 'info');
    assert.deepEqual(c.limits, {
      maxRequestBody: 65536,
      maxQueuedMessages: 10000,
      maxQueuedBytes: 33554432,
      subscriberBuffer: 1000,
      maxTtl: 2419200,
      deliveryWindow: 1,
      jumpHostWait: 300,
      heldMessages: 10000,
      heldBytes: 33554432,
      heldPerTopic: 10000,
      replayEntries: 200000,
      replayEntriesPerSender: 50000,
    });
  });

  it('each layer beats the ones below it; lists replace whole; limits merge per key', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'c.yaml');
    await writeFile(
      file,
      'local: 127.0.0.1:1111\nhttps: 127.0.0.1:2222\ngrpc: false\nnats: [nats://a, nats://b]\nlogLevel: warn\n' +
        'trust:\n  fleet: [n1, n2]\nlimits:\n  maxQueuedMessages: 5\n  subscriberBuffer: 7\n',
    );
    const fileLayer = await layerFromFile(file);
    const env = layerFromEnv({ PUSHMESH_LOCAL: '127.0.0.1:3333', PUSHMESH_NATS: 'nats://c', PUSHMESH_LOG_LEVEL: 'debug', HOME: '/x' });
    const flags = { local: '127.0.0.1:4444' };
    const c = resolveConfig('/h', [flags, env, fileLayer, { limits: { subscriberBuffer: 99 } }]);
    assert.deepEqual(c.local, { host: '127.0.0.1', port: 4444 });
    assert.deepEqual(c.https, { host: '127.0.0.1', port: 2222 });
    assert.equal(c.grpc, null);
    assert.deepEqual(c.nats, ['nats://c']);
    assert.equal(c.logLevel, 'debug');
    assert.deepEqual(c.trust, { fleet: ['n1', 'n2'] });
    assert.equal(c.limits.maxQueuedMessages, 5);
    assert.equal(c.limits.subscriberBuffer, 7);
    assert.equal(c.advertise, 'https://127.0.0.1:2222');
  });

  it('refuses unknown keys, bad values and bad YAML with ERR_CONFIG', async (t) => {
    const dir = await tempDir(t);
    const cases: [string, RegExp][] = [
      ['nope: 1\n', /unknown setting "nope"/],
      ['- a\n- b\n', /mapping at the top level/],
      ['limits:\n  speed: 3\n', /unknown limit "speed"/],
      ['limits:\n  maxTtl: 1.5\n', /positive integer/],
      ['peers: notalist\n', /list of strings/],
      ['local: {a: 1}\n', /must be a string/],
      ['a: [\n', /not valid YAML/],
    ];
    for (const [i, [text, message]] of cases.entries()) {
      const file = join(dir, `c${i}.yaml`);
      await writeFile(file, text);
      await assert.rejects(layerFromFile(file), pushmeshError('ERR_CONFIG', message), text);
    }
    assert.throws(() => resolveConfig('/h', [{ local: 'off' }]), pushmeshError('ERR_CONFIG', /cannot be switched off/));
    assert.throws(() => resolveConfig('/h', [{ advertise: 'http://x' }]), pushmeshError('ERR_CONFIG', /https/));
    assert.throws(() => resolveConfig('/h', [{ trust: ['nonsense'] }]), pushmeshError('ERR_CONFIG', /NAMESPACE=ID/));
  });

  it('parseHostPort: any text is an address, "off", or ERR_CONFIG (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          const hp = parseHostPort(text, '127.0.0.1', 'x');
          if (hp !== null) assert.ok(Number.isInteger(hp.port) && hp.port >= 0 && hp.port <= 65535 && hp.host.length > 0);
        } catch (err) {
          assert.ok(isPushmeshError(err) && err.code === 'ERR_CONFIG', String(err));
        }
      }),
      { numRuns: 500 },
    );
    assert.deepEqual(parseHostPort('[::1]:0', 'h', 'x'), { host: '::1', port: 0 });
    assert.deepEqual(parseHostPort(':9', 'h', 'x'), { host: 'h', port: 9 });
  });

  it('any YAML document gives a layer or ERR_CONFIG, never another error (property)', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'fuzz.yaml');
    const yamlish = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc
        .dictionary(fc.constantFrom('local', 'https', 'grpc', 'peers', 'limits', 'trust', 'logLevel', 'x'), fc.jsonValue({ maxDepth: 2 }))
        .map((o) => JSON.stringify(o)),
    );
    await fc.assert(
      fc.asyncProperty(yamlish, async (text) => {
        await writeFile(file, text);
        try {
          const layer = await layerFromFile(file);
          try {
            resolveConfig('/h', [layer]);
          } catch (err) {
            assert.ok(isPushmeshError(err) && err.code === 'ERR_CONFIG', String(err));
          }
        } catch (err) {
          assert.ok(isPushmeshError(err) && err.code === 'ERR_CONFIG', String(err));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('configuration: httpsSessionTickets (TLS session tickets on the HTTPS server)', () => {
  it('is off by default; the file and PUSHMESH_HTTPS_SESSION_TICKETS turn it on, the environment over the file', async (t) => {
    assert.equal(resolveConfig('/h', []).httpsSessionTickets, false);
    const dir = await tempDir(t);
    const file = join(dir, 't.yaml');
    await writeFile(file, 'httpsSessionTickets: true\n');
    const fileLayer = await layerFromFile(file);
    assert.equal(resolveConfig('/h', [fileLayer]).httpsSessionTickets, true);
    assert.equal(resolveConfig('/h', [layerFromEnv({ PUSHMESH_HTTPS_SESSION_TICKETS: '1' })]).httpsSessionTickets, true);
    assert.equal(resolveConfig('/h', [layerFromEnv({ PUSHMESH_HTTPS_SESSION_TICKETS: 'false' }), fileLayer]).httpsSessionTickets, false);
    assert.equal(resolveConfig('/h', [layerFromEnv({ PUSHMESH_HTTPS_SESSION_TICKETS: '' }), fileLayer]).httpsSessionTickets, true);
  });

  it('refuses a value that is not a boolean with ERR_CONFIG', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'httpsSessionTickets: sometimes\n');
    await assert.rejects(layerFromFile(file), pushmeshError('ERR_CONFIG', /httpsSessionTickets.*true or false/));
    assert.throws(() => layerFromEnv({ PUSHMESH_HTTPS_SESSION_TICKETS: 'maybe' }), pushmeshError('ERR_CONFIG', /PUSHMESH_HTTPS_SESSION_TICKETS/));
  });
});
