/**
 * Issue 6's proof, with real `pushmesh run` processes and a real
 * nats-server (JetStream): two relays that are not linked to each other
 * share a fabric; device A is attached to relay 1, device B to relay 2
 * (both only dial out, and listen on nothing). B is configured with both
 * relays as alternatives (`--peer 'R2|R1'`) and fails over by itself.
 *
 * Relay 2 is killed with SIGKILL while it holds a message for B that B
 * has not acknowledged (B is frozen with SIGSTOP, a device asleep, so the
 * message is in flight at that moment: JetStream shows it unacknowledged);
 * more messages are sent while B has no relay at all. When B wakes up it
 * links to relay 1, and gets every message exactly once, in order; A gets
 * a receipt for each.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { fabricConsumerName } from '../../adapters/nats/fabric-resources.js';
import { decodeWebpushMessage } from '../../src/proto/index.js';
import { startNatsServer, type NatsServer } from '../backends/support/nats-server.js';
import { grpcUrl, localRequest, NodeGroup, startNode, subscribe, type NodeProcess } from '../helpers/node-process.js';
import { fabricMesh } from './fabric-mesh.js';

/** Resolves once `check` answers true (asked every 100 ms), or rejects after `timeoutMs` saying what was awaited. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('relay failover on a shared NATS fabric (relay killed with SIGKILL)', { timeout: 300_000 }, () => {
  let nats: NatsServer;
  let outside: NatsConnection;
  const group = new NodeGroup();
  before(async () => {
    nats = await startNatsServer();
    outside = await connect({ servers: nats.url, name: 'outside-test-client' });
  });
  after(async () => {
    await group.stopAll(); // SIGKILL ends a process stopped with SIGSTOP too
    await outside?.close();
    await nats?.stop();
  });
  const track = (n: NodeProcess): NodeProcess => group.track(n);
  const send = async (from: NodeProcess, to: string, data: unknown): Promise<string> => {
    const r = await localRequest(from, 'POST', `/msg/chat?to=${to}&receipt=1&ttl=600`, data);
    assert.equal(r.status, 202, JSON.stringify(r.json));
    return (r.json as { id: string }).id;
  };
  const state = async (node: NodeProcess, id: string): Promise<string> => {
    const r = await localRequest(node, 'GET', `/msg/status/${id}`);
    return (r.json as { state?: string }).state ?? `HTTP ${r.status}`;
  };
  const delivered = (node: NodeProcess, ids: readonly string[], timeoutMs = 60_000): Promise<void> =>
    until(`receipts for ${ids.length} messages`, async () => (await Promise.all(ids.map((id) => state(node, id)))).every((s) => s === 'delivered'), timeoutMs);

  it('B fails over to relay 1 by itself and gets what was in flight at relay 2 and what was sent meanwhile: once each, in order, with receipts', { timeout: 280_000 }, async (t) => {
    const { homes, relay, device } = await fabricMesh(t, nats.url);
    const r1 = track(await startNode(homes.r1, relay));
    const r2 = track(await startNode(homes.r2, relay));
    const a = track(await startNode(homes.a, [...device, '--peer', grpcUrl(r1)]));
    // B prefers relay 2 and falls back to relay 1: one link at a time.
    const b = track(await startNode(homes.b, [...device, '--peer', `${grpcUrl(r2)}|${grpcUrl(r1)}`]));
    await r1.waitForLog((l) => l['msg'] === 'peer link ready' && l['peer'] === a.id, 60_000);
    await r2.waitForLog((l) => l['msg'] === 'peer link ready' && l['peer'] === b.id, 60_000);
    assert.equal(r1.logs.some((l) => l['msg'] === 'peer link ready' && l['peer'] === b.id), false, 'B keeps one link, to relay 2');

    // An outside NATS client watching the fabric sees only sealed WebpushMessages.
    const tapped: Msg[] = [];
    outside.subscribe('pushmesh.fabric.node.>', { callback: (_err, m) => void tapped.push(m) });
    await outside.flush();

    // Both ways, across the two relays and the fabric, with receipts.
    const sseB = await subscribe(b, '/msg/chat');
    const sseA = await subscribe(a, '/msg/chat');
    t.after(() => (sseA.close(), sseB.close()));
    const hello = await send(a, b.id, { text: 'hello B' });
    const [got] = await sseB.waitForIds([hello], 60_000);
    assert.deepEqual(got!['path'], [r1.id, r2.id], 'R1 into the fabric, R2 out of it');
    const reply = await send(b, a.id, { text: 'hello A' });
    const [back] = await sseA.waitForIds([reply], 60_000);
    assert.deepEqual(back!['path'], [r2.id, r1.id]);
    await delivered(a, [hello]);
    await delivered(b, [reply]);

    // B falls asleep; A's next message goes R1 → fabric → R2, which sends it to B and waits for an ACK that does not come.
    assert.ok(b.child.kill('SIGSTOP'));
    const inFlight = await send(a, b.id, { n: 0 });
    const jsm = await jetstreamManager(outside);
    const consumer = fabricConsumerName(b.id);
    await until('relay 2 holding the message unacknowledged', async () => {
      const info = await jsm.consumers.info('PUSHMESH_FABRIC', consumer).catch(() => null);
      return info !== null && info.num_ack_pending === 1 && info.num_pending === 0;
    });
    assert.equal((await r2.stop('SIGKILL')).code, null, 'relay 2 was killed, not stopped');

    // B has no relay now: A's messages go into the fabric at relay 1 and wait there.
    const meanwhile: string[] = [];
    for (let n = 1; n <= 4; n++) meanwhile.push(await send(a, b.id, { n }));
    await r1.waitForLog((l) => l['msg'] === 'handed a message to the fabric' && l['msg_id'] === meanwhile[3], 60_000);
    for (const id of [inFlight, ...meanwhile]) assert.equal(await state(a, id), 'sent', 'accepted by relay 1, not delivered yet');
    const waiting = await jsm.consumers.info('PUSHMESH_FABRIC', consumer);
    assert.equal(waiting.num_pending + waiting.num_ack_pending, 5, 'all five wait in JetStream for B');

    // B wakes up, finds relay 2 gone and links to relay 1 by itself.
    assert.ok(b.child.kill('SIGCONT'));
    await r1.waitForLog((l) => l['msg'] === 'peer link ready' && l['peer'] === b.id, 60_000);
    const all = [inFlight, ...meanwhile];
    // The in-flight message comes back after JetStream's ack wait (30 s) ran out for the dead relay.
    await sseB.waitForIds(all, 150_000);
    await delivered(a, all, 60_000);
    const seen = sseB.messages().map((e) => String(e['id'])).filter((id) => all.includes(id));
    assert.deepEqual(seen, all, 'each exactly once, in order');
    assert.deepEqual(
      sseB.messages().filter((e) => all.includes(String(e['id']))).map((e) => (e['data'] as { n: number }).n),
      [0, 1, 2, 3, 4],
    );
    for (const e of sseB.messages().filter((x) => meanwhile.includes(String(x['id'])))) assert.deepEqual(e['path'], [r1.id]);
    const drained = await jsm.consumers.info('PUSHMESH_FABRIC', consumer);
    assert.equal(drained.num_pending + drained.num_ack_pending, 0, 'nothing left for B in the fabric');

    const forB = tapped.filter((m) => m.subject === `pushmesh.fabric.node.${b.id}`).map((m) => decodeWebpushMessage(m.data));
    // (A's receipt for B's first message went that way too.)
    assert.deepEqual(forB.map((w) => w.id).filter((id) => [hello, ...all].includes(id)), [hello, ...all], "A's messages went through the fabric once each");
    for (const m of tapped) assert.ok(!Buffer.from(m.data).toString('latin1').includes('hello'), 'no plaintext on NATS');

    // And B reaches A through relay 1 now.
    const again = await send(b, a.id, { text: 'back on relay 1' });
    const [viaR1] = await sseA.waitForIds([again], 60_000);
    assert.deepEqual(viaR1!['path'], [r1.id]);
    await delivered(b, [again]);
  });
});
