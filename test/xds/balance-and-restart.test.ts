import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { CONFIG_MEDIA_TYPE, signConfig } from '../../src/signed-config/index.js';
import { spawnNode, type RunningNode } from '../helpers/signed-config-nodes.js';
import { tempHome } from '../helpers/temp-dir.js';
import { makeOwner } from '../signed-config/fixtures.js';
import { greeterResources } from './greeter-resources.js';
import { startGreeter, startGreeterClient } from './greeter-servers.js';

async function post(localUrl: string, jws: string): Promise<number> {
  const res = await fetch(`${localUrl}/config`, { method: 'POST', headers: { 'content-type': CONFIG_MEDIA_TYPE }, body: jws });
  await res.arrayBuffer();
  return res.status;
}

/** The xDS port from the node's running line. */
async function xdsPortOf(node: RunningNode): Promise<number> {
  const running = await node.waitForLog((l) => l.msg === 'pushmesh node running', 'the running line');
  const port = Number(/^127\.0\.0\.1:(\d+)$/.exec(String(running['xds']))?.[1]);
  assert.ok(port > 0, `running line names the xDS address: ${String(running['xds'])}`);
  return port;
}

describe('xDS: one ClusterLoadAssignment with two endpoints is balanced; kept configs are served after a restart', { timeout: 180_000 }, () => {
  test('the gRPC app (@grpc/grpc-js-xds, ROUND_ROBIN) reaches both servers of one signed ClusterLoadAssignment', async (t) => {
    const owner = makeOwner();
    const [portA, portB] = [await startGreeter(t, 'A'), await startGreeter(t, 'B')];
    const node = await spawnNode({ home: await tempHome(t), trust: [`xds=${owner.id}`], extraArgs: ['--xds', '127.0.0.1:0'] });
    t.after(() => node.stop());
    const xdsPort = await xdsPortOf(node);
    const resources = greeterResources(portA);
    const cla = resources[3] as { endpoints: { lbEndpoints: unknown[] }[] };
    cla.endpoints[0]!.lbEndpoints.push({ endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: portB } } } });
    const v1 = await signConfig({ namespace: 'xds', name: 'greeter', version: 1, data: { resources } }, owner.privateKey);
    assert.equal(await post(node.localUrl, v1), 200);
    const app = startGreeterClient(t, xdsPort);
    // Both servers answer (bounded waits, no timing assertion): the one list resolved to two backends and the calls are spread.
    await app.callUntil('A');
    await app.callUntil('B');
    const seen = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const a = await app.call();
      assert.ok(a.server, `every call answered: ${a.error}`);
      seen.set(a.server, (seen.get(a.server) ?? 0) + 1);
    }
    // Round robin over two ready endpoints: 20 calls in a row reach both (a pick-first client would stay on one).
    assert.deepEqual([...seen.keys()].sort(), ['A', 'B'], `answers: ${JSON.stringify(Object.fromEntries(seen))}`);
  });

  test('after a restart the node serves the kept configs from its store: a new app reaches the server version 2 names', async (t) => {
    const owner = makeOwner();
    const [portA, portB] = [await startGreeter(t, 'A'), await startGreeter(t, 'B')];
    const home = await tempHome(t);
    const first = await spawnNode({ home, trust: [`xds=${owner.id}`], extraArgs: ['--xds', '127.0.0.1:0'] });
    let firstStopped = false;
    t.after(() => (firstStopped ? undefined : first.stop()));
    const port1 = await xdsPortOf(first);
    for (const [version, port] of [[1, portA], [2, portB]] as const) {
      const jws = await signConfig({ namespace: 'xds', name: 'greeter', version, data: { resources: greeterResources(port) } }, owner.privateKey);
      assert.equal(await post(first.localUrl, jws), 200);
    }
    const before = startGreeterClient(t, port1);
    await before.callUntil('B');
    const changed = first.logs.filter((l) => l.msg === 'xds snapshot changed').at(-1)!;
    assert.equal(await first.stop(), 0);
    firstStopped = true;

    const second = await spawnNode({ home, trust: [`xds=${owner.id}`], extraArgs: ['--xds', '127.0.0.1:0'] });
    t.after(() => second.stop());
    const port2 = await xdsPortOf(second);
    const listening = await second.waitForLog((l) => l.msg === 'xds server listening', 'the xds server line');
    // Served at once from the store: the same snapshot version as before the restart, one config.
    assert.equal(listening['version'], changed['version']);
    assert.match(String(listening['version']), /^2-[0-9a-f]{8}$/);
    assert.equal(listening['configs'], 1);
    // A new app, which only knows what the restarted node serves, reaches B (version 2), and only B.
    const after = startGreeterClient(t, port2);
    await after.callUntil('B');
    for (let i = 0; i < 10; i++) assert.deepEqual(await after.call(), { server: 'B' });
  });
});
