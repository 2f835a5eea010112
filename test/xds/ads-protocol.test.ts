import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { signConfig } from '../../src/signed-config/index.js';
import { XDS_TYPES, envoyRoot } from '../../src/xds/index.js';
import { startInProcessNode } from '../helpers/in-process-node.js';
import { makeOwner } from '../signed-config/fixtures.js';
import { AdsTestClient, type Response } from './ads-client.js';
import { endpointResource, greeterResources } from './greeter-resources.js';

const { listener: LDS, route: RDS, cluster: CDS, endpoint: EDS } = XDS_TYPES;

function decoded(res: Response): Record<string, unknown>[] {
  return res.resources.map((r) => {
    const type = envoyRoot().lookupType(r.type_url.slice(r.type_url.lastIndexOf('/') + 1));
    return type.toObject(type.decode(r.value), { longs: Number, enums: String }) as Record<string, unknown>;
  });
}

const portOf = (cla: Record<string, unknown>): number =>
  (cla as { endpoints: { lb_endpoints: { endpoint: { address: { socket_address: { port_value: number } } } }[] }[] }).endpoints[0]!.lb_endpoints[0]!.endpoint.address.socket_address.port_value;

async function metric(node: Awaited<ReturnType<typeof startInProcessNode>>, name: string, type?: string): Promise<number> {
  const m = await node.metrics.registry.getSingleMetric(name)?.get();
  const v = m?.values.find((x) => type === undefined || x.labels['type'] === type);
  return v?.value ?? 0;
}

describe('xDS server: a client built from Envoy discovery protos', () => {
  test('subscribes per type by name, ACKs and NACKs, gets pushes and removals, never sees a refused config', async (t) => {
    const owner = makeOwner();
    const node = await startInProcessNode(t, { xds: { listen: { host: '127.0.0.1', port: 0 }, namespace: 'xds' }, trust: { xds: [owner.id] } });
    const sign = (name: string, version: number, resources: unknown[]): Promise<string> => signConfig({ namespace: 'xds', name, version, data: { resources } }, owner.privateKey);
    await node.signedConfig.submit(await sign('greeter', 1, greeterResources(1111)));
    const xds = node.addresses.xds!;
    assert.equal(xds.host, '127.0.0.1');
    const client = new AdsTestClient(`127.0.0.1:${xds.port}`);
    t.after(() => client.close());

    // LDS wildcard (empty names), CDS and RDS/EDS by name.
    client.request(LDS, []);
    const lds = await client.next();
    assert.equal(lds.type_url, LDS);
    assert.deepEqual(decoded(lds).map((l) => l['name']), ['greeter']);
    client.ack(lds, []);
    client.request(CDS, ['greeter-cluster']);
    const cds = await client.next();
    assert.deepEqual(decoded(cds).map((c) => [c['name'], c['type']]), [['greeter-cluster', 'EDS']]);
    client.ack(cds, ['greeter-cluster']);
    client.request(RDS, ['greeter-route', 'no-such-route']);
    const rds = await client.next();
    assert.deepEqual(decoded(rds).map((r) => r['name']), ['greeter-route'], 'only the subscribed names that exist');
    client.ack(rds, ['greeter-route', 'no-such-route']);
    client.request(EDS, ['greeter-cluster']);
    const eds = await client.next();
    assert.equal(portOf(decoded(eds)[0]!), 1111);
    assert.match(eds.version_info, /^1-[0-9a-f]{8}$/);
    client.ack(eds, ['greeter-cluster']);

    // A NACK is counted; the client keeps version 1; nothing is re-sent for it.
    const v1 = eds.version_info;
    await node.signedConfig.submit(await sign('greeter', 2, [...greeterResources(1111).slice(0, 3), endpointResource(2222)]));
    const eds2 = await client.next();
    assert.equal(eds2.type_url, EDS, 'only the type whose resources changed is pushed');
    assert.equal(portOf(decoded(eds2)[0]!), 2222);
    assert.match(eds2.version_info, /^2-[0-9a-f]{8}$/);
    client.nack(eds2, ['greeter-cluster'], v1, 'endpoint refused by the test');
    // A new config with a cluster this client did not subscribe to (CDS by name): nothing pushed to it.
    await node.signedConfig.submit(await sign('extra', 1, [{ '@type': CDS, name: 'extra-cluster', type: 'STATIC', connectTimeout: '1s' }]));
    assert.equal(await metric(node, 'pushmesh_xds_nacks_total', 'ClusterLoadAssignment'), 1);
    assert.equal(await metric(node, 'pushmesh_xds_acks_total', 'ClusterLoadAssignment'), 1);

    // CDS wildcard on a second stream sees both clusters; removing one (a new version without it) pushes the smaller set.
    const all = new AdsTestClient(`127.0.0.1:${xds.port}`, 'wildcard-client');
    t.after(() => all.close());
    all.request(CDS, ['*']);
    const both = await all.next();
    assert.deepEqual(decoded(both).map((c) => c['name']).sort(), ['extra-cluster', 'greeter-cluster']);
    all.ack(both, ['*']);
    await node.signedConfig.submit(await sign('extra', 2, []));
    const after = await all.next();
    assert.equal(after.type_url, CDS);
    assert.deepEqual(decoded(after).map((c) => c['name']), ['greeter-cluster'], 'a wildcard CDS response without the cluster removes it');
    all.ack(after, ['*']);

    // Bad resources: signed by the owner, kept by signed config, refused by the xDS server with its reason, never served.
    const refusedBefore = await metric(node, 'pushmesh_xds_configs_refused_total');
    await node.signedConfig.submit(await sign('greeter', 3, [{ '@type': 'type.googleapis.com/envoy.config.core.v3.Secret', name: 'x' }]));
    await node.signedConfig.submit(await sign('greeter', 4, [{ ...endpointResource(3333), endpoints: 'not a list' }]));
    assert.equal((await metric(node, 'pushmesh_xds_configs_refused_total')) - refusedBefore, 2);
    const fresh = new AdsTestClient(`127.0.0.1:${xds.port}`, 'late-client');
    t.after(() => fresh.close());
    fresh.request(EDS, ['greeter-cluster']);
    const still = await fresh.next();
    assert.equal(portOf(decoded(still)[0]!), 2222, 'the last good version of the config stays served');
    assert.equal(client.pending, 0, 'the refused configs pushed nothing');
  });

  test('a taken xDS port fails the start with ERR_LISTEN (the node does not run without its xDS server)', async (t) => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    t.after(() => taken.close());
    const port = (taken.address() as { port: number }).port;
    await assert.rejects(startInProcessNode(t, { xds: { listen: { host: '127.0.0.1', port }, namespace: 'xds' } }), (err: Error & { code?: string }) => err.code === 'ERR_LISTEN' && err.message.includes(`127.0.0.1:${port}`));
  });
});
