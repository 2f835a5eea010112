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

  it('xds is off by default; listen defaults to 127.0.0.1; off loopback is ERR_CONFIG without xds.tls', () => {
    assert.equal(resolveConfig('/h', []).xds, null);
    assert.deepEqual(resolveConfig('/h', [{ xds: { listen: '15010' } }]).xds, { listen: { host: '127.0.0.1', port: 15010 }, namespace: 'xds', tls: null });
    assert.deepEqual(resolveConfig('/h', [{ xds: { listen: '[::1]:0' } }, layerFromText('xds:\n  listen: 127.0.0.1:1\n  namespace: mesh-routes\n', 'f')]).xds, { listen: { host: '::1', port: 0 }, namespace: 'mesh-routes', tls: null });
    assert.throws(() => resolveConfig('/h', [{ xds: { listen: '0.0.0.0:15010' } }]), (e: PushmeshError) => e.code === 'ERR_CONFIG' && /only a loopback address .* without TLS: set xds.tls/.test(e.message));
    assert.throws(() => layerFromText('xds:\n  port: 1\n', 'f'), /xds.port is unknown/);
    assert.throws(() => resolveConfig('/h', [{ xds: { listen: '1', namespace: 'a/b' } }]), /xds.namespace "a\/b"/);
  });

  it('xds.tls: any address with TLS; the node\'s own certificate by default; clientCa (or trustCa) for mTLS; cert and key together', () => {
    const file = (text: string): ReturnType<typeof layerFromText> => layerFromText(text, 'f');
    assert.deepEqual(resolveConfig('/h', [file('xds:\n  listen: 0.0.0.0:15010\n  tls:\n    cert: /c.pem\n    key: /k.pem\n    clientCa: /ca.pem\n')]).xds, {
      listen: { host: '0.0.0.0', port: 15010 }, namespace: 'xds', tls: { certFile: '/c.pem', keyFile: '/k.pem', clientCaFile: '/ca.pem', ownCertificate: false },
    });
    assert.deepEqual(resolveConfig('/h', [file('xds:\n  listen: "[::]:1"\n  tls: true\n')]).xds?.tls, { certFile: '/h/cert.pem', keyFile: '/h/key.pem', clientCaFile: null, ownCertificate: true });
    assert.deepEqual(resolveConfig('/h', [file('certFile: /org.pem\ntrustCa: /org-ca.pem\nxds:\n  listen: 10.0.0.1:1\n  tls:\n    clientCa: trustCa\n')]).xds?.tls, { certFile: '/org.pem', keyFile: '/h/key.pem', clientCaFile: '/org-ca.pem', ownCertificate: true });
    // TLS forced on over loopback; tls: false on a higher layer switches it off again (and then loopback only).
    assert.equal(resolveConfig('/h', [file('xds:\n  listen: 1\n  tls: true\n')]).xds?.tls?.ownCertificate, true);
    assert.throws(() => resolveConfig('/h', [{ xds: { tls: false } }, file('xds:\n  listen: 0.0.0.0:1\n  tls: true\n')]), /only a loopback address/);
    assert.throws(() => resolveConfig('/h', [file('xds:\n  listen: 1\n  tls:\n    cert: /c.pem\n')]), /give both cert and key, or neither/);
    assert.throws(() => resolveConfig('/h', [file('xds:\n  listen: 1\n  tls:\n    clientCa: trustCa\n')]), /"trustCa" but the node has no trustCa/);
    assert.throws(() => file('xds:\n  tls:\n    ca: /x\n'), /xds.tls.ca is unknown/);
    assert.throws(() => file('xds:\n  tls: [1]\n'), /xds.tls must be true, false or a mapping/);
  });

  it('any xds section text: a config (TLS whenever off loopback) or ERR_CONFIG (property)', () => {
    const path = fc.oneof(fc.constantFrom('/c.pem', '/k.pem', 'trustCa', ''), fc.string({ maxLength: 8 }));
    const tls = fc.oneof(fc.boolean(), fc.constant('off'), fc.integer(), fc.record({ cert: path, key: path, clientCa: path }, { requiredKeys: [] }), fc.dictionary(fc.string({ maxLength: 6 }), path, { maxKeys: 3 }));
    const listen = fc.oneof(fc.constantFrom('1', '127.0.0.1:0', '0.0.0.0:1', '[::1]:2', '[::]:3', 'off', 'localhost:4'), fc.ipV4().map((h) => `${h}:1`), fc.nat({ max: 70_000 }).map(String), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(fc.record({ listen, tls, namespace: fc.constantFrom('xds', 'a/b') }, { requiredKeys: [] }), fc.boolean(), (xds, trustCa) => {
        const text = JSON.stringify({ ...(trustCa ? { trustCa: '/org-ca.pem' } : {}), xds });
        try {
          const x = resolveConfig('/h', [layerFromText(text, 'f')]).xds;
          if (x && !x.tls) assert.match(x.listen.host, /^(127\.|::1$|localhost$)/);
          if (x?.tls) assert.ok(x.tls.certFile && x.tls.keyFile);
        } catch (err) {
          assert.equal((err as PushmeshError).code, 'ERR_CONFIG', String(err));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('pushmesh run --xds 0.0.0.0:PORT exits 1 with one line', async (t) => {
    const dir = await tempDir(t);
    const r = await runPushmesh(['run', '--home', join(dir, 'home'), '--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off', '--xds', '0.0.0.0:15010']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^pushmesh: xDS address 0\.0\.0\.0:15010: only a loopback address .*\n$/);
  });
});
