import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { formatHostPort, layerFromEnv, layerFromFile, layerFromText, parseHostPort, resolveConfig, type ConfigLayer } from '../../src/config/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { onlyTyped } from '../helpers/typed-errors.js';

const HOME = '/nonexistent/pushmesh-home';
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));
const ipv4 = fc.ipV4();
const ipv6 = fc.ipV6();
const hostName = fc.domain();
const port = fc.integer({ min: 0, max: 65535 });
const hostPortText = fc.oneof(
  text,
  fc.tuple(fc.oneof(ipv4, hostName), port).map(([h, p]) => `${h}:${p}`),
  fc.tuple(ipv6, port).map(([h, p]) => `[${h}]:${p}`),
  fc.tuple(fc.oneof(ipv4, ipv6, hostName), fc.integer({ min: -10, max: 1_000_000 })).map(([h, p]) => `${h}:${p}`),
  fc.constantFrom('off', 'none', ':80', '80', '::1', '[::1]', '[::1]:', 'host:', ':', '', ' 127.0.0.1:1 ', '[zz]:1', '1.2.3.4:65536'),
);

describe('config parsers (fast-check)', () => {
  it('parseHostPort: any text is a host and port in range, off, or ERR_CONFIG', () => {
    fc.assert(
      fc.property(hostPortText, (s) => {
        const r = onlyTyped(['ERR_CONFIG'], () => parseHostPort(s, '127.0.0.1', 'test address'));
        if (!r.ok || r.value === null) return;
        assert.ok(Number.isInteger(r.value.port) && r.value.port >= 0 && r.value.port <= 65535, s);
        assert.equal(typeof r.value.host, 'string');
      }),
      { numRuns: 3000 },
    );
  });

  it('parseHostPort round-trips formatHostPort', () => {
    fc.assert(
      fc.property(fc.oneof(ipv4, ipv6, hostName), port, (host, p) => {
        assert.deepEqual(parseHostPort(formatHostPort({ host, port: p }), '0.0.0.0', 'x'), { host, port: p });
      }),
      { numRuns: 1000 },
    );
  });

  it('layerFromText: any text is a layer or ERR_CONFIG; resolving it is a config or ERR_CONFIG', () => {
    const key = fc.constantFrom('local', 'https', 'grpc', 'advertise', 'peers', 'nats', 'pubsub', 'trust', 'logLevel', 'limits', 'unknown', '__proto__', 'constructor');
    const limitsKey = fc.constantFrom('maxRequestBody', 'maxQueuedMessages', 'subscriberBuffer', 'maxTtl', 'other', '__proto__');
    const leaf = fc.oneof(fc.jsonValue({ maxDepth: 2 }), hostPortText, fc.constantFrom('info', 'debug', 'https://node.example:15443', 'http://x', false, true, null));
    const doc = fc.oneof(
      fc.dictionary(key, fc.oneof(leaf, fc.dictionary(limitsKey, fc.oneof(fc.integer(), fc.double(), leaf), { maxKeys: 4 }), fc.array(leaf, { maxLength: 3 })), { maxKeys: 6 }),
      fc.jsonValue({ maxDepth: 3 }),
    );
    const yamlText = fc.oneof(
      doc.map((d) => toYaml(d)),
      doc.map((d) => JSON.stringify(d) ?? ''),
      text,
      fc.constantFrom('a: &x [1]\nb: *x', 'a: *nope', '- 1\n- 2', ': :', 'local: [', '{', '!!binary AAAA', 'a: !!js/function "x"', '%YAML 9.9\n---\na: 1', 'x: ' + '['.repeat(500)),
    );
    fc.assert(
      fc.property(yamlText, (t) => {
        const r = onlyTyped(['ERR_CONFIG'], () => layerFromText(t, 'fuzz.yaml'));
        if (!r.ok) return;
        const c = onlyTyped(['ERR_CONFIG'], () => resolveConfig(HOME, [r.value]));
        if (!c.ok) return;
        for (const hp of [c.value.local, c.value.https, c.value.grpc]) if (hp) assert.ok(hp.port >= 0 && hp.port <= 65535);
        for (const v of Object.values(c.value.limits)) assert.ok(Number.isSafeInteger(v) && v > 0);
      }),
      { numRuns: 2000 },
    );
  });

  it('a valid layer written as YAML reads back the same, through a real file', async (t) => {
    const dir = await tempDir(t);
    const layer: fc.Arbitrary<ConfigLayer> = fc.record(
      {
        local: fc.tuple(ipv4, port).map(([h, p]) => `${h}:${p}`),
        https: fc.oneof(fc.constant('off'), fc.tuple(ipv6, port).map(([h, p]) => `[${h}]:${p}`)),
        advertise: fc.tuple(hostName, port).map(([h, p]) => `https://${h}:${p}`),
        peers: fc.array(fc.webUrl(), { maxLength: 3 }),
        logLevel: fc.constantFrom('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
        limits: fc.record({ maxRequestBody: fc.integer({ min: 1, max: 1 << 30 }), maxTtl: fc.integer({ min: 1, max: 10_000_000 }) }, { requiredKeys: [], noNullPrototype: true }),
      },
      { requiredKeys: [], noNullPrototype: true },
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(layer, async (l) => {
        const file = join(dir, `c${n++}.yaml`);
        await writeFile(file, toYaml(l));
        const read = await layerFromFile(file);
        assert.deepEqual(read, l);
        const cfg = resolveConfig(HOME, [read]);
        if (l.local) assert.equal(formatHostPort(cfg.local), l.local);
        if (l.logLevel) assert.equal(cfg.logLevel, l.logLevel);
      }),
      { numRuns: 200 },
    );
  });

  it('environment: any PUSHMESH_* values resolve to a config or ERR_CONFIG', () => {
    const names = ['PUSHMESH_LOCAL', 'PUSHMESH_HTTPS', 'PUSHMESH_GRPC', 'PUSHMESH_ADVERTISE', 'PUSHMESH_PEERS', 'PUSHMESH_NATS', 'PUSHMESH_PUBSUB', 'PUSHMESH_TRUST', 'PUSHMESH_LOG_LEVEL'];
    const value = fc.oneof(text, hostPortText, fc.constantFrom('a=b', 'ns=', '=id', 'x=y,z', 'https://h:1', 'http://h', 'info', 'loud'));
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names), value), (env) => {
        onlyTyped(['ERR_CONFIG'], () => resolveConfig(HOME, [layerFromEnv(env)]));
      }),
      { numRuns: 2000 },
    );
  });
});
