import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { CONFIG_MEDIA_TYPE, signConfig } from '../../src/signed-config/index.js';
import { spawnNode } from '../helpers/signed-config-nodes.js';
import { tempHome } from '../helpers/temp-dir.js';
import { makeOwner } from '../signed-config/fixtures.js';
import { greeterResources } from './greeter-resources.js';
import { startGreeter, startGreeterClient } from './greeter-servers.js';

async function post(localUrl: string, jws: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${localUrl}/config`, { method: 'POST', headers: { 'content-type': CONFIG_MEDIA_TYPE }, body: jws });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('xDS: a real gRPC client (@grpc/grpc-js-xds) resolves xds:///greeter through a pushmesh node', () => {
  test('reaches the server a signed ClusterLoadAssignment names; follows version 2; ignores a rollback and a forgery', async (t) => {
    const owner = makeOwner();
    const forger = makeOwner();
    const [portA, portB] = [await startGreeter(t, 'A'), await startGreeter(t, 'B')];
    const node = await spawnNode({ home: await tempHome(t), trust: [`xds=${owner.id}`], extraArgs: ['--xds', '127.0.0.1:0'] });
    t.after(() => node.stop());
    const running = await node.waitForLog((l) => l.msg === 'pushmesh node running', 'the running line');
    const xdsPort = Number(/^127\.0\.0\.1:(\d+)$/.exec(String(running['xds']))?.[1]);
    assert.ok(xdsPort > 0, `running line names the xDS address: ${String(running['xds'])}`);

    const v1 = await signConfig({ namespace: 'xds', name: 'greeter', version: 1, data: { resources: greeterResources(portA) } }, owner.privateKey);
    assert.equal((await post(node.localUrl, v1)).status, 200);
    const app = startGreeterClient(t, xdsPort);
    await app.callUntil('A');

    // Version 2 names server B: the app's calls move there.
    const v2 = await signConfig({ namespace: 'xds', name: 'greeter', version: 2, data: { resources: greeterResources(portB) } }, owner.privateKey);
    assert.equal((await post(node.localUrl, v2)).status, 200);
    await app.callUntil('B');

    // A rollback to version 1, and a version 3 signed by another key: refused by the node; the app sees no change.
    const rollback = await post(node.localUrl, v1);
    assert.ok(rollback.status >= 400, `rollback refused (${rollback.status})`);
    const forged = await signConfig({ namespace: 'xds', name: 'greeter', version: 3, data: { resources: greeterResources(portA) } }, forger.privateKey);
    const forgery = await post(node.localUrl, forged);
    assert.ok(forgery.status >= 400, `forgery refused (${forgery.status})`);
    // Owner-signed but bad resources (a field Cluster does not have): kept as a signed config, refused by the xDS server with the reason.
    const broken = await signConfig({ namespace: 'xds', name: 'broken', version: 1, data: { resources: [{ '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name: 'x', bogus: 1 }] } }, owner.privateKey);
    assert.equal((await post(node.localUrl, broken)).status, 200);
    const refused = await node.waitForLog((l) => l.msg === 'xds config refused: its resources are not served', 'the refusal');
    assert.deepEqual([refused['name'], refused['version'], refused['reason']], ['broken', 1, 'resources[0] (Cluster "x"): bogus: no field "bogus" in envoy.config.cluster.v3.Cluster']);
    for (let i = 0; i < 20; i++) assert.deepEqual(await app.call(), { server: 'B' });
    const changes = node.logs.filter((l) => l.msg === 'xds snapshot changed').map((l) => l['version']);
    assert.equal(changes.length, 2, `snapshot changes only for v1 and v2: ${changes.join(', ')}`);
    assert.match(String(changes.at(-1)), /^2-[0-9a-f]{8}$/);
  });
});
