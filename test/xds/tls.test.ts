import { strict as assert } from 'node:assert';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { CONFIG_MEDIA_TYPE, signConfig } from '../../src/signed-config/index.js';
import { runPushmesh } from '../helpers/cli.js';
import { spawnNode, type RunningNode } from '../helpers/signed-config-nodes.js';
import { tempDir, tempHome, type CleanupScope } from '../helpers/temp-dir.js';
import { makeOwner } from '../signed-config/fixtures.js';
import { AdsTestClient } from './ads-client.js';
import { greeterResources } from './greeter-resources.js';
import { startGreeter, startGreeterClient } from './greeter-servers.js';
import { makeXdsTlsFiles, pem, type XdsTlsFiles } from './tls-fixtures.js';

const LISTENER = 'type.googleapis.com/envoy.config.listener.v3.Listener';

async function post(localUrl: string, jws: string): Promise<number> {
  const res = await fetch(`${localUrl}/config`, { method: 'POST', headers: { 'content-type': CONFIG_MEDIA_TYPE }, body: jws });
  await res.arrayBuffer();
  return res.status;
}

/** A `pushmesh run` whose config file has `xds: {listen: 127.0.0.1:0, tls}` (TLS forced on over loopback), serving greeter v1 → server A. */
async function tlsNode(t: CleanupScope, dir: string, tls: unknown): Promise<{ node: RunningNode; port: number; greeterA: number }> {
  const owner = makeOwner();
  const greeterA = await startGreeter(t, 'A');
  const configFile = join(dir, `node-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(configFile, JSON.stringify({ xds: { listen: '127.0.0.1:0', tls } }));
  const node = await spawnNode({ home: await tempHome(t), trust: [`xds=${owner.id}`], extraArgs: ['--config', configFile] });
  t.after(() => node.stop());
  const running = await node.waitForLog((l) => l.msg === 'pushmesh node running', 'the running line');
  const port = Number(/^127\.0\.0\.1:(\d+)$/.exec(String(running['xds']))?.[1]);
  assert.ok(port > 0, `running line names the xDS address: ${String(running['xds'])}`);
  const v1 = await signConfig({ namespace: 'xds', name: 'greeter', version: 1, data: { resources: greeterResources(greeterA) } }, owner.privateKey);
  assert.equal(await post(node.localUrl, v1), 200);
  return { node, port, greeterA };
}

/** The bootstrap of @grpc/grpc-js-xds 1.14 has no "tls" channel creds: `google_default` is its TLS (roots from GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, plus a self-signed JWT from a service-account file; no network). */
const googleDefault = (f: XdsTlsFiles): { channelCreds: { type: string }[]; env: Record<string, string> } => ({
  channelCreds: [{ type: 'google_default' }],
  env: { GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: f.caFile, GOOGLE_APPLICATION_CREDENTIALS: f.serviceAccountFile },
});

/** First Listener response on a new ADS stream, or the stream's error. */
async function firstListener(client: AdsTestClient): Promise<{ names?: number; error?: string; code?: number }> {
  client.request(LISTENER, []);
  try {
    const res = await client.next(30_000);
    return { names: res.resources.length };
  } catch (err) {
    return { error: (err as Error).message, code: (err as { code?: number }).code };
  } finally {
    client.close();
  }
}

describe('xDS over TLS and mTLS (xds.tls)', { timeout: 240_000 }, () => {
  test('TLS: a real @grpc/grpc-js-xds app with TLS channel credentials resolves xds:///greeter; a plaintext app gets nothing', async (t) => {
    const dir = await tempDir(t);
    const files = await makeXdsTlsFiles(dir);
    const { node, port } = await tlsNode(t, dir, { cert: files.serverCert, key: files.serverKey });
    const listening = await node.waitForLog((l) => l.msg === 'xds server listening', 'the xds server line');
    assert.equal(listening['tls'], 'tls');
    const app = startGreeterClient(t, port, googleDefault(files));
    await app.callUntil('A');
    // The same app with plaintext credentials cannot reach the TLS server: no resources, the call fails.
    const plain = startGreeterClient(t, port);
    const answer = await plain.call();
    assert.ok(answer.error, `a plaintext xDS client gets no answer: ${JSON.stringify(answer)}`);
    // A plain ADS client with TLS gets the Listener; the server's certificate is checked against the CA.
    const ca = await pem(files.caFile);
    assert.deepEqual(await firstListener(new AdsTestClient(`127.0.0.1:${port}`, 'tls-client', grpc.credentials.createSsl(ca))), { names: 1 });
  });

  test('mTLS: a client certificate from xds.tls.clientCa gets resources; no certificate, or one from another CA, is refused', async (t) => {
    const dir = await tempDir(t);
    const files = await makeXdsTlsFiles(dir);
    const { node, port } = await tlsNode(t, dir, { cert: files.serverCert, key: files.serverKey, clientCa: files.caFile });
    const listening = await node.waitForLog((l) => l.msg === 'xds server listening', 'the xds server line');
    assert.equal(listening['tls'], 'mtls');
    const ca = await pem(files.caFile);
    const at = `127.0.0.1:${port}`;
    const good = await firstListener(new AdsTestClient(at, 'good', grpc.credentials.createSsl(ca, await pem(files.clientKey), await pem(files.clientCert))));
    assert.deepEqual(good, { names: 1 });
    const none = await firstListener(new AdsTestClient(at, 'no-cert', grpc.credentials.createSsl(ca)));
    assert.equal(none.code, grpc.status.UNAVAILABLE, `no client certificate: refused (${JSON.stringify(none)})`);
    const stranger = await firstListener(new AdsTestClient(at, 'stranger', grpc.credentials.createSsl(ca, await pem(files.strangerKey), await pem(files.strangerCert))));
    assert.equal(stranger.code, grpc.status.UNAVAILABLE, `another CA's certificate: refused (${JSON.stringify(stranger)})`);
    // The @grpc/grpc-js-xds app (TLS without a client certificate: its bootstrap cannot name one) is refused too.
    const app = startGreeterClient(t, port, googleDefault(files));
    const answer = await app.call();
    assert.ok(answer.error, `the app without a client certificate gets no answer: ${JSON.stringify(answer)}`);
    // The refused clients never opened a stream: only the good one was ever counted.
    assert.ok(!node.logs.some((l) => l.msg === 'xds response sent' && ['no-cert', 'stranger', 'greeter-app'].includes(String(l['client']))));
  });

  test('tls: true serves the node\'s own certificate (SAN: its node ID), which a client pins', async (t) => {
    const dir = await tempDir(t);
    const { node, port } = await tlsNode(t, dir, true);
    const cert = await readFile(join(node.home, 'cert.pem'));
    const pinned = new AdsTestClient(`127.0.0.1:${port}`, 'pinned', grpc.credentials.createSsl(cert), { 'grpc.ssl_target_name_override': node.id, 'grpc.default_authority': node.id });
    assert.deepEqual(await firstListener(pinned), { names: 1 });
  });

  test('a TLS file that cannot be read, or a key that is not the certificate\'s, stops the start: exit 1, one line', async (t) => {
    const dir = await tempDir(t);
    const files = await makeXdsTlsFiles(dir);
    const run = async (tls: unknown): Promise<{ code: number | null; stderr: string }> => {
      const configFile = join(dir, `bad-${Math.random().toString(36).slice(2)}.yaml`);
      await writeFile(configFile, JSON.stringify({ xds: { listen: '127.0.0.1:0', tls } }));
      return runPushmesh(['run', '--home', join(dir, 'home'), '--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off', '--config', configFile]);
    };
    const missing = await run({ cert: join(dir, 'nope.pem'), key: files.serverKey });
    assert.equal(missing.code, 1, missing.stderr);
    assert.equal(missing.stderr, `pushmesh: xds.tls: cannot read the certificate file ${join(dir, 'nope.pem')} (ENOENT)\n`);
    const mismatch = await run({ cert: files.serverCert, key: files.clientKey });
    assert.equal(mismatch.code, 1, mismatch.stderr);
    assert.match(mismatch.stderr, /^pushmesh: xds\.tls: the certificate and key file .* is not usable: .*\n$/);
  });
});
