/**
 * Scale-out: two relays that are not linked to each other share a NATS
 * JetStream fabric (real nats-server, real `pushmesh run` processes).
 * A is attached to R1, B to R2; R1 has no route to B, so it hands A's
 * message to the fabric, and R2, where B is attached, delivers it. When B
 * is away, its messages wait in the fabric and reach B when it attaches
 * again, at either relay.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { startNatsServer, type NatsServer } from '../backends/support/nats-server.js';
import { grpcUrl, localRequest, NodeGroup, startNode, subscribe, type NodeProcess } from '../helpers/node-process.js';
import { fabricMesh } from './fabric-mesh.js';

describe('mesh routing over a shared NATS fabric', { timeout: 240_000 }, () => {
  let nats: NatsServer;
  const group = new NodeGroup();
  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    await group.stopAll();
    await nats?.stop();
  });
  const track = (n: NodeProcess): NodeProcess => group.track(n);

  it('a relay with no route hands the message to the fabric; the relay the destination is attached to delivers it', { timeout: 200_000 }, async (t) => {
    const { homes, relay, device: hidden } = await fabricMesh(t, nats.url, { relayHttps: true });
    const [homeA, homeB, homeR1, homeR2] = [homes.a, homes.b, homes.r1, homes.r2];
    const r1 = track(await startNode(homeR1, relay));
    const r2 = track(await startNode(homeR2, relay));
    const a = track(await startNode(homeA, [...hidden, '--peer', grpcUrl(r1)]));
    const bArgs = (r: NodeProcess): string[] => [...hidden, '--peer', grpcUrl(r)];
    let b = track(await startNode(homeB, bArgs(r2)));
    await r1.waitForLog((l) => l['msg'] === 'peer link ready' && l['peer'] === a.id, 60_000);
    await r2.waitForLog((l) => l['msg'] === 'peer link ready' && l['peer'] === b.id, 60_000);

    const sseB = await subscribe(b, '/msg/chat');
    const sent = await localRequest(a, 'POST', `/msg/chat?to=${b.id}`, { text: 'over the fabric' });
    assert.equal(sent.status, 202, JSON.stringify(sent.json));
    const [got] = await sseB.waitForIds([(sent.json as { id: string }).id], 60_000);
    assert.deepEqual(got!['data'], { text: 'over the fabric' });
    assert.deepEqual(got!['path'], [r1.id, r2.id], 'R1 into the fabric, R2 out of it');
    sseB.close();
    await r1.waitForLog((l) => l['msg'] === 'handed a message to the fabric' && l['msg_id'] === got!['id']);

    // And back: B → R2 (its upstream) → fabric → R1 → A.
    const sseA = await subscribe(a, '/msg/chat');
    const reply = await localRequest(b, 'POST', `/msg/chat?to=${a.id}`, { text: 'back' });
    const [back] = await sseA.waitForIds([(reply.json as { id: string }).id], 60_000);
    assert.deepEqual(back!['path'], [r2.id, r1.id]);
    sseA.close();

    // B leaves; messages for it wait in the fabric; B comes back attached to R1 instead and gets them in order.
    await b.stop('SIGTERM');
    await r2.waitForLog((l) => l['msg'] === 'peer link closed' && l['peer'] === b.id);
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) {
      const r = await localRequest(a, 'POST', `/msg/chat?to=${b.id}&ttl=120`, { n });
      assert.equal(r.status, 202);
      ids.push((r.json as { id: string }).id);
    }
    await r1.waitForLog((l) => l['msg'] === 'handed a message to the fabric' && l['msg_id'] === ids[2], 60_000);
    b = track(await startNode(homeB, bArgs(r1)));
    const sseB2 = await subscribe(b, '/msg/chat');
    await sseB2.waitForIds(ids, 60_000);
    assert.deepEqual(sseB2.messages().filter((e) => ids.includes(String(e['id']))).map((e) => e['id']), ids);
    sseB2.close();
  });
});
