import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { layerFromText, resolveConfig } from '../../src/config/index.js';
import { PushmeshError } from '../../src/errors/index.js';
import { pushmeshOk, runPushmesh } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';
import { greeterResources } from './greeter-resources.js';

describe('xDS: config sign checks the resources; the xds settings', { concurrency: true, timeout: 60_000 }, () => {
  it('config sign --namespace xds refuses a bad resource with its reason (exit 2, one line) and signs a good one', async (t) => {
    const dir = await tempDir(t);
    const home = join(dir, 'home');
    await pushmeshOk(['init', '--home', home]);
    await writeFile(join(dir, 'good.json'), JSON.stringify({ resources: greeterResources(8080) }));
    await writeFile(join(dir, 'bad.yaml'), 'resources:\n  - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster\n    name: c\n    connectTimeout: soon\n');
    const jws = await pushmeshOk(['config', 'sign', '--home', home, '--namespace', 'xds', '--name', 'greeter', '--version', '1', join(dir, 'good.json')]);
    assert.match(jws, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const bad = await runPushmesh(['config', 'sign', '--home', home, '--namespace', 'xds', '--name', 'greeter', '--version', '2', join(dir, 'bad.yaml')]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'pushmesh: resources[0] (Cluster "c"): connectTimeout: expected a duration like "1.5s"\n');
    assert.equal(bad.stdout, '');
    // Another namespace: checked only with --xds.
    await pushmeshOk(['config', 'sign', '--home', home, '--namespace', 'routes', '--name', 'r', '--version', '1', join(dir, 'bad.yaml')]);
    const flagged = await runPushmesh(['config', 'sign', '--home', home, '--namespace', 'routes', '--name', 'r', '--version', '1', '--xds', join(dir, 'bad.yaml')]);
    assert.equal(flagged.code, 2);
  });

  it('xds is off by default; listen defaults to 127.0.0.1; off loopback is ERR_CONFIG (no TLS yet)', () => {
    assert.equal(resolveConfig('/h', []).xds, null);
    assert.deepEqual(resolveConfig('/h', [{ xds: { listen: '15010' } }]).xds, { listen: { host: '127.0.0.1', port: 15010 }, namespace: 'xds' });
    assert.deepEqual(resolveConfig('/h', [{ xds: { listen: '[::1]:0' } }, layerFromText('xds:\n  listen: 127.0.0.1:1\n  namespace: mesh-routes\n', 'f')]).xds, { listen: { host: '::1', port: 0 }, namespace: 'mesh-routes' });
    assert.throws(() => resolveConfig('/h', [{ xds: { listen: '0.0.0.0:15010' } }]), (e: PushmeshError) => e.code === 'ERR_CONFIG' && /only a loopback address/.test(e.message));
    assert.throws(() => layerFromText('xds:\n  port: 1\n', 'f'), /xds.port is unknown/);
    assert.throws(() => resolveConfig('/h', [{ xds: { listen: '1', namespace: 'a/b' } }]), /xds.namespace "a\/b"/);
  });

  it('any listen text: a loopback address or ERR_CONFIG (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.ipV4().map((h) => `${h}:1`), fc.nat({ max: 70_000 }).map(String)), (listen) => {
        try {
          const x = resolveConfig('/h', [{ xds: { listen } }]).xds;
          if (x) assert.match(x.listen.host, /^(127\.|::1$|localhost$)/);
        } catch (err) {
          assert.equal((err as PushmeshError).code, 'ERR_CONFIG');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('pushmesh run --xds 0.0.0.0:PORT exits 1 with one line', async (t) => {
    const dir = await tempDir(t);
    const r = await runPushmesh(['run', '--home', join(dir, 'home'), '--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off', '--xds', '0.0.0.0:15010']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^pushmesh: xDS address 0\.0\.0\.0:15010: only a loopback address .*\n$/);
  });
});
