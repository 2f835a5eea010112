/**
 * Two relays that dial each other (each is the other's upstream) and a
 * device A on R1. A message for a node nobody reaches must not bounce
 * between the relays: each attempt of A's is relayed at most once by each
 * relay, refused `no_route`, held at A and expired there.
 */
import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { PeerStore, cardFor, openIdentity } from '../../src/identity/index.js';
import { tempHome } from '../helpers/temp-dir.js';
import { localRequest, NodeGroup, startNode, subscribe, type NodeProcess } from '../helpers/node-process.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const NOWHERE = 'https://127.0.0.1:9';

function metricSum(text: string, name: string, filter: (labels: string) => boolean = () => true): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name && filter(m[2] ?? '')) sum += Number(m[3]);
  }
  return sum;
}

describe('mesh routing with a loop between relays', { timeout: 180_000 }, () => {
  const group = new NodeGroup();
  after(() => group.stopAll());
  const track = (n: NodeProcess): NodeProcess => group.track(n);

  it('does not amplify traffic for an unreachable node', { timeout: 150_000 }, async (t) => {
    const [homeA, homeR1, homeR2, homeZ] = await Promise.all([tempHome(t), tempHome(t), tempHome(t), tempHome(t)]);
    const idZ = (await openIdentity(homeZ)).identity;
    await new PeerStore(homeA).add(cardFor(idZ, NOWHERE));
    const listen = ['--local', '127.0.0.1:0', '--https', '127.0.0.1:0', '--grpc', '127.0.0.1:0'];
    // Each relay dials the other: R2's gRPC port is asked of the OS first, so R1 can be told it.
    const idR2 = (await openIdentity(homeR2)).identity;
    const r2Port = await freePort();
    const r1 = track(await startNode(homeR1, [...listen, '--peer', `grpcs://${idR2.id}@127.0.0.1:${r2Port}`]));
    const r2 = track(await startNode(homeR2, ['--local', '127.0.0.1:0', '--https', '127.0.0.1:0', '--grpc', `127.0.0.1:${r2Port}`, '--peer', `grpcs://${r1.id}@${r1.grpc}`]));
    await r2.waitForLog((l) => l['msg'] === 'peer link up' && l['peer'] === r1.id, 60_000);
    const a = track(await startNode(homeA, ['--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off', '--advertise', NOWHERE, '--peer', `grpcs://${r1.id}@${r1.grpc}`]));
    await r1.waitForLog((l) => l['msg'] === 'peer link ready' && l['peer'] === a.id, 60_000);
    await r1.waitForLog((l) => l['msg'] === 'peer link ready' && l['peer'] === r2.id, 60_000);

    const statuses = await subscribe(a, '/msg/pushmesh.status');
    for (let n = 0; n < 3; n++) {
      const r = await localRequest(a, 'POST', `/msg/chat?to=${idZ.id}&ttl=4`, { n });
      assert.equal(r.status, 202, JSON.stringify(r.json));
    }
    const finals = await statuses.waitForMessages(3, 60_000);
    assert.deepEqual(finals.map((e) => (e['data'] as { state: string }).state), ['expired', 'expired', 'expired']);
    statuses.close();

    const metrics = async (n: NodeProcess): Promise<string> => String((await localRequest(n, 'GET', '/metrics')).json);
    const attempts = metricSum(await metrics(a), 'pushmesh_peer_link_messages_total', (l) => l.includes('direction="out"'));
    const relayedR1 = metricSum(await metrics(r1), 'pushmesh_relayed_messages_total');
    const relayedR2 = metricSum(await metrics(r2), 'pushmesh_relayed_messages_total');
    t.diagnostic(`A attempts ${attempts}, relayed at R1 ${relayedR1}, at R2 ${relayedR2}`);
    assert.ok(attempts >= 3, `A tried ${attempts} times`);
    assert.ok(relayedR1 >= 3, `R1 relayed ${relayedR1}`);
    // Each attempt: R1 relays it once (to its upstream R2), R2 refuses it (no route except back to R1).
    assert.ok(relayedR1 <= attempts, `R1 relayed ${relayedR1} for ${attempts} attempts`);
    assert.ok(relayedR2 <= attempts, `R2 relayed ${relayedR2} for ${attempts} attempts`);
    const noRoute = metricSum(await metrics(a), 'pushmesh_peer_link_messages_total', (l) => l.includes('outcome="no_route"'));
    assert.ok(noRoute >= 3, 'A saw no_route from the relays');
  });
});
