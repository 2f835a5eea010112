/**
 * A reload that changes trust refreshes the xDS server (issue 15): a kept
 * xDS config whose owner is dropped from the trust list is forgotten by
 * signed config, and an xDS client then sees its resources removed at
 * once, without waiting for another config update of the namespace.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { layerFromObject, resolveConfig } from '../../src/config/index.js';
import { signConfig } from '../../src/signed-config/sign.js';
import { XDS_TYPES } from '../../src/xds/index.js';
import { startInProcessNode } from '../helpers/in-process-node.js';
import { tempHome } from '../helpers/temp-dir.js';
import { makeOwner } from '../signed-config/fixtures.js';
import { AdsTestClient, type Response } from '../xds/ads-client.js';
import { greeterResources } from '../xds/greeter-resources.js';

const { listener: LDS, cluster: CDS } = XDS_TYPES;

describe('reload and the xDS server', () => {
  it('an owner dropped from trust: the xDS client sees the listener and cluster of its config removed', async (t) => {
    const [alice, bob] = [makeOwner(), makeOwner()];
    const home = await tempHome(t);
    const { xds } = resolveConfig(home, [layerFromObject({ xds: { listen: '127.0.0.1:0' } }, 'test settings')]);
    const node = await startInProcessNode(t, { home, xds, trust: { xds: [alice.id] } });
    const config = await signConfig({ namespace: 'xds', name: 'greeter', version: 1, data: { resources: greeterResources(1111) } }, alice.privateKey);
    assert.equal((await node.signedConfig.submit(config)).status, 'accepted');

    const client = new AdsTestClient(`127.0.0.1:${node.addresses.xds!.port}`, 'reload-client');
    t.after(() => client.close());
    const served: Record<string, Response> = {};
    for (const type of [LDS, CDS]) {
      client.request(type, []);
      const res = await client.next(30_000);
      assert.equal(res.type_url, type);
      assert.equal(res.resources.length, 1, `one ${type} before the reload`);
      client.ack(res, []);
      served[type] = res;
    }

    const outcome = await node.reload(() => ({ ...node.config, trust: { xds: [bob.id] } }));
    assert.deepEqual(outcome.applied, ['trust']);
    assert.equal(node.signedConfig.get('xds', 'greeter'), undefined, "alice's config is forgotten");

    // Both wildcard subscriptions get a response without the resources, in whatever order the server sends them.
    const after: Record<string, Response> = {};
    for (let i = 0; i < 2; i++) {
      const res = await client.next(30_000);
      after[res.type_url] = res;
    }
    for (const type of [LDS, CDS]) {
      assert.ok(after[type], `a ${type} response after the reload`);
      assert.equal(after[type]!.resources.length, 0, `the ${type} resources are removed`);
      assert.notEqual(after[type]!.version_info, served[type]!.version_info, 'a new version');
    }
  });
});
