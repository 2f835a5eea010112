import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { CONFIG_MEDIA_TYPE, signConfig } from '../../src/signed-config/index.js';
import { startNatsServer, type NatsServer } from '../backends/support/nats-server.js';
import { spawnNode } from '../helpers/signed-config-nodes.js';
import { tempHome } from '../helpers/temp-dir.js';
import { makeOwner } from '../signed-config/fixtures.js';
import { greeterResources } from './greeter-resources.js';
import { startGreeter, startGreeterClient } from './greeter-servers.js';

async function publish(localUrl: string, jws: string): Promise<number> {
  const res = await fetch(`${localUrl}/config`, { method: 'POST', headers: { 'content-type': CONFIG_MEDIA_TYPE }, body: jws });
  await res.arrayBuffer();
  return res.status;
}

describe('xDS across two nodes over NATS (and an attacker on NATS)', { timeout: 120_000 }, () => {
  let nats: NatsServer;
  before(async () => {
    nats = await startNatsServer();
  });
  after(() => nats?.stop()); // after the nodes: they stop while NATS is still there
  test('the owner publishes to node A; node B (its xDS server) learns it over NATS; the gRPC app on B follows v1 then v2; a rollback and a forgery put on NATS change nothing', async (t) => {
    const owner = makeOwner();
    const [portA, portB] = [await startGreeter(t, 'A'), await startGreeter(t, 'B')];
    const trust = [`xds=${owner.id}`];
    const a = await spawnNode({ home: await tempHome(t), trust, extraArgs: ['--nats', nats.url] });
    t.after(() => a.stop());
    const b = await spawnNode({ home: await tempHome(t), trust, extraArgs: ['--nats', nats.url, '--xds', '127.0.0.1:0'] });
    t.after(() => b.stop());
    const running = await b.waitForLog((l) => l.msg === 'pushmesh node running', 'the running line');
    const xdsPort = Number(/:(\d+)$/.exec(String(running['xds']))?.[1]);

    const t0 = Date.now();
    const mark = (what: string): void => t.diagnostic(`${what}: ${Date.now() - t0} ms`);
    const sign = (version: number, port: number): Promise<string> => signConfig({ namespace: 'xds', name: 'greeter', version, data: { resources: greeterResources(port) } }, owner.privateKey);
    assert.equal(await publish(a.localUrl, await sign(1, portA)), 200);
    await b.waitForLog((l) => l.msg === 'xds snapshot changed' && /^1-/.test(String(l['version'])), 'v1 at node B over NATS');
    mark('v1 at B');
    const app = startGreeterClient(t, xdsPort);
    await app.callUntil('A');
    mark('app reached A');
    assert.equal(await publish(a.localUrl, await sign(2, portB)), 200);
    await app.callUntil('B');
    mark('app reached B');
    // Someone with access to NATS puts version 1 back, then a version 3 signed by another key, on the config subject.
    const nc = await connect({ servers: nats.url });
    t.after(() => nc.close());
    const js = jetstream(nc);
    await js.publish('pushmesh.config.xds.greeter', Buffer.from(await sign(1, portA)));
    await b.waitForLog((l) => l.msg === 'signed config refused' && l['reason'] === 'rollback' && l['source'] === 'nats', 'the rollback refused at B');
    const forged = await signConfig({ namespace: 'xds', name: 'greeter', version: 3, data: { resources: greeterResources(portA) } }, makeOwner().privateKey);
    await js.publish('pushmesh.config.xds.greeter', Buffer.from(forged));
    await b.waitForLog((l) => l.msg === 'signed config refused' && l['reason'] === 'unknown_owner' && l['source'] === 'nats', 'the forgery refused at B');
    for (let i = 0; i < 20; i++) assert.deepEqual(await app.call(), { server: 'B' });
    assert.equal(b.logs.filter((l) => l.msg === 'xds snapshot changed').length, 2, 'v1 and v2 only');
    const accepted = b.logs.filter((l) => l.msg === 'signed config accepted' && l['namespace'] === 'xds');
    assert.deepEqual(accepted.map((l) => [l['version'], l['source']]), [[1, 'nats'], [2, 'nats']], 'node B got both versions from NATS, not from its own API');
  });
});
