import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { signConfig } from '../../src/signed-config/index.js';
import { XDS_TYPES, envoyRoot } from '../../src/xds/index.js';
import { startInProcessNode } from '../helpers/in-process-node.js';
import { makeOwner } from '../signed-config/fixtures.js';
import { DeltaAdsTestClient, type DeltaResponse } from './ads-client.js';
import { endpointResource, greeterResources } from './greeter-resources.js';

const { listener: LDS, route: RDS, cluster: CDS, endpoint: EDS } = XDS_TYPES;

const names = (res: DeltaResponse): string[] => res.resources.map((r) => r.name).sort();
const portOf = (res: DeltaResponse): number => {
  const r = res.resources[0]!.resource;
  const type = envoyRoot().lookupType(r.type_url.slice(r.type_url.lastIndexOf('/') + 1));
  const cla = type.toObject(type.decode(r.value)) as { endpoints: { lb_endpoints: { endpoint: { address: { socket_address: { port_value: number } } } }[] }[] };
  return cla.endpoints[0]!.lb_endpoints[0]!.endpoint.address.socket_address.port_value;
};
const cluster = (name: string): Record<string, unknown> => ({ '@type': CDS, name, type: 'EDS', edsClusterConfig: { edsConfig: { ads: {} } } });

async function metric(node: Awaited<ReturnType<typeof startInProcessNode>>, name: string, type: string): Promise<number> {
  const m = await node.metrics.registry.getSingleMetric(name)?.get();
  return m?.values.find((x) => x.labels['type'] === type)?.value ?? 0;
}

describe('xDS incremental (DeltaAggregatedResources): a client built from Envoy discovery protos', () => {
  test('only new or changed resources are sent, removals by name, unsubscribe stops pushes, initial versions skip what the client holds', async (t) => {
    const owner = makeOwner();
    const node = await startInProcessNode(t, { xds: { listen: { host: '127.0.0.1', port: 0 }, namespace: 'xds' }, trust: { xds: [owner.id] } });
    const sign = (name: string, version: number, resources: unknown[]): Promise<string> => signConfig({ namespace: 'xds', name, version, data: { resources } }, owner.privateKey);
    await node.signedConfig.submit(await sign('greeter', 1, greeterResources(1111)));
    const at = `127.0.0.1:${node.addresses.xds!.port}`;
    const client = new DeltaAdsTestClient(at);
    t.after(() => client.close());

    // LDS: a first request without names is the wildcard.
    client.request(LDS);
    const lds = await client.next();
    assert.equal(lds.type_url, LDS);
    assert.deepEqual(names(lds), ['greeter']);
    assert.match(lds.resources[0]!.version, /^[0-9a-f]{16}$/);
    assert.match(lds.system_version_info, /^1-[0-9a-f]{8}$/);
    assert.deepEqual(lds.removed_resources, []);
    client.ack(lds);
    // EDS by name: a subscribed name that does not exist comes back as removed.
    client.request(EDS, { subscribe: ['greeter-cluster', 'missing'] });
    const eds = await client.next();
    assert.deepEqual([names(eds), eds.removed_resources], [['greeter-cluster'], ['missing']]);
    assert.equal(portOf(eds), 1111);
    client.ack(eds);

    // Version 2 changes only the ClusterLoadAssignment: only it is sent (not the Listener, nor "missing" again).
    await node.signedConfig.submit(await sign('greeter', 2, [...greeterResources(1111).slice(0, 3), endpointResource(2222)]));
    const eds2 = await client.next();
    assert.equal(eds2.type_url, EDS);
    assert.deepEqual([names(eds2), eds2.removed_resources], [['greeter-cluster'], []]);
    assert.notEqual(eds2.resources[0]!.version, eds.resources[0]!.version);
    assert.equal(portOf(eds2), 2222);
    client.ack(eds2);
    client.request(CDS);
    const cds = await client.next();
    assert.equal(cds.type_url, CDS, 'no Listener push came before: the Listener did not change');
    assert.deepEqual(names(cds), ['greeter-cluster']);
    client.ack(cds);

    // Another config adds a Cluster: only that one is sent; its next version renames it: the old name is removed.
    await node.signedConfig.submit(await sign('extra', 1, [cluster('extra-a')]));
    const cds2 = await client.next();
    assert.deepEqual([cds2.type_url, names(cds2), cds2.removed_resources], [CDS, ['extra-a'], []]);
    client.ack(cds2);
    await node.signedConfig.submit(await sign('extra', 2, [cluster('extra-b')]));
    const cds3 = await client.next();
    assert.deepEqual([cds3.type_url, names(cds3), cds3.removed_resources], [CDS, ['extra-b'], ['extra-a']]);
    client.ack(cds3);

    // Unsubscribed from the ClusterLoadAssignment: version 3 (a new endpoint) pushes nothing to this client.
    // The route's answer shows the server has read the unsubscription (requests of one stream are handled in order);
    // only then does version 3 exist (before, the server could push it on a subscription it had not yet seen end).
    client.request(EDS, { unsubscribe: ['greeter-cluster', 'missing'] });
    client.request(RDS, { subscribe: ['greeter-route'] });
    const rds = await client.next();
    assert.deepEqual([rds.type_url, names(rds)], [RDS, ['greeter-route']], 'the first response after the unsubscription is the route');
    await node.signedConfig.submit(await sign('greeter', 3, [...greeterResources(1111).slice(0, 3), endpointResource(3333)]));
    // A name that does not exist is answered as removed: had version 3 been pushed to this client, that push would come first.
    client.request(RDS, { subscribe: ['absent-route'] });
    const absent = await client.next();
    assert.deepEqual([absent.type_url, absent.removed_resources], [RDS, ['absent-route']], 'version 3 pushed nothing to the unsubscribed client');

    // A NACK is counted (by type).
    const nacks = await metric(node, 'pushmesh_xds_nacks_total', 'RouteConfiguration');
    client.request(RDS, { nonce: rds.nonce, nack: 'refused by the test' });
    client.request(LDS, { subscribe: ['*'] }); // already wildcard: nothing new to send; a sync point for the NACK
    client.request(EDS, { subscribe: ['greeter-cluster'] });
    const eds3 = await client.next();
    assert.equal(eds3.type_url, EDS);
    assert.equal(portOf(eds3), 3333);
    assert.equal((await metric(node, 'pushmesh_xds_nacks_total', 'RouteConfiguration')) - nacks, 1);
    assert.equal(client.pending, 0);

    // A new stream (e.g. a client reconnecting) that already holds the Listener at its version, and an old Listener that is gone:
    // the Listener is not sent again, the gone one is removed.
    const again = new DeltaAdsTestClient(at, 'reconnected');
    t.after(() => again.close());
    again.request(LDS, { initial: { greeter: lds.resources[0]!.version, 'old-listener': '0123456789abcdef' } });
    const removal = await again.next();
    assert.deepEqual([removal.type_url, names(removal), removal.removed_resources], [LDS, [], ['old-listener']]);
    again.request(CDS, { initial: { 'greeter-cluster': cds.resources[0]!.version } });
    const cdsAgain = await again.next();
    assert.deepEqual([cdsAgain.type_url, names(cdsAgain)], [CDS, ['extra-b']], 'only the Cluster it did not hold');
  });
});
