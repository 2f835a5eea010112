/**
 * Store-and-forward through a chain of real `pushmesh run` processes,
 * A → R1 ← R2 ← B (A and B only dial out), the scenario of issue 5:
 * B is stopped; A sends 100 messages (TTL 120, receipts asked, some
 * sharing an RFC 8030 Topic); R2 is killed and restarted in the middle;
 * then B comes back. Exactly the expected set (the newest of each Topic
 * and every message without one) reaches B's app, each once, in the
 * order sent, and A gets a receipt for each. A message with TTL 2 is
 * reported expired at A.
 *
 * Where the messages wait: the first 40 at R2 (B departed from it), the
 * next 30 at R1 while R2 is down (R1 is the last hop that knows the way
 * to B), the last 30 wherever the backlog is when they arrive (a relay
 * queues a message behind the ones already waiting for its target). R2
 * still knows B after its restart from the attachment kept on disk.
 */
import { strict as assert } from 'node:assert';
import { after, describe, it } from 'node:test';
import { PeerStore, cardFor, openIdentity } from '../../src/identity/index.js';
import { saveLogs } from '../helpers/save-logs.js';
import { tempHome } from '../helpers/temp-dir.js';
import { grpcUrl, linkReady, localRequest, NodeGroup, startNode, subscribe, type NodeProcess } from '../helpers/node-process.js';

const NOWHERE = 'https://127.0.0.1:9';
const TOTAL = 100;
/** RFC 8030 Topic of message n, if it has one: two topics, ten messages each, spread over every phase. */
const topicOf = (n: number): string | undefined => (n % 10 === 3 ? 'weather' : n % 10 === 7 ? 'score' : undefined);

describe('store-and-forward through a chain with a relay restart (A → R1 ← R2 ← B)', { timeout: 420_000 }, () => {
  const group = new NodeGroup();
  after(() => group.stopAll());
  const track = (n: NodeProcess): NodeProcess => group.track(n);
  const linked = linkReady;
  const held = (n: NodeProcess, id: string): Promise<unknown> => n.waitForLog((l) => l['msg'] === 'holding a message until its destination is back' && l['msg_id'] === id, 120_000);

  it('100 messages with Topics: R2 restarts meanwhile; B gets exactly the expected set once, in order; A gets every receipt; TTL 2 expires', { timeout: 400_000 }, async (t) => {
    const [homeA, homeB, homeR1, homeR2] = await Promise.all([tempHome(t), tempHome(t), tempHome(t), tempHome(t)]);
    const idA = (await openIdentity(homeA)).identity;
    const idB = (await openIdentity(homeB)).identity;
    await new PeerStore(homeA).add(cardFor(idB, NOWHERE));
    await new PeerStore(homeB).add(cardFor(idA, NOWHERE));

    const listen = ['--local', '127.0.0.1:0', '--https', '127.0.0.1:0', '--grpc', '127.0.0.1:0'];
    const hidden = ['--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off', '--advertise', NOWHERE];
    const r1 = track(await startNode(homeR1, listen));
    const r2Args = [...listen, '--peer', grpcUrl(r1)];
    let r2 = track(await startNode(homeR2, r2Args));
    const a = track(await startNode(homeA, [...hidden, '--peer', grpcUrl(r1)]));
    const bArgs = [...hidden, '--peer', grpcUrl(r2)];
    let b = track(await startNode(homeB, bArgs));
    await Promise.all([linked(r1, r2), linked(r1, a), linked(r2, b)]);
    await r1.waitForLog((l) => l['msg'] === 'learned routes' && l['peer'] === r2.id && Number(l['routes']) >= 1, 60_000);

    // B leaves; R2 keeps what comes for it.
    await b.stop('SIGTERM');
    await r2.waitForLog((l) => l['msg'] === 'peer link closed' && l['peer'] === b.id);
    const statuses = await subscribe(a, '/msg/pushmesh.status');
    t.after(() => statuses.close());

    const send = async (n: number, ttl = 120): Promise<string> => {
      const topic = topicOf(n);
      const r = await localRequest(a, 'POST', `/msg/chat?to=${b.id}&ttl=${ttl}&receipt=1${topic ? `&replace=${topic}` : ''}`, { n });
      assert.equal(r.status, 202, JSON.stringify(r.json));
      return (r.json as { id: string }).id;
    };
    const ids: string[] = [];

    // A message that can live 2 s: it waits at R2 and runs out there.
    const shortLived = await send(-1, 2);

    // Phase 1: R2 up, B away. These wait at R2.
    for (let n = 0; n < 40; n++) ids.push(await send(n));
    await held(r2, ids[39]!);

    // Phase 2: R2 is killed; R1 holds what comes for B (its route to B goes through R2, which is away).
    await r2.stop('SIGKILL');
    await r1.waitForLog((l) => l['msg'] === 'peer link closed' && l['peer'] === r2.id);
    for (let n = 40; n < 70; n++) ids.push(await send(n));
    await held(r1, ids[69]!);

    // R2 comes back: from the attachment on its disk it still holds for B, and says so to R1, whose backlog flows to R2.
    // On the gRPC address it had, which B dials.
    r2 = track(await startNode(homeR2, [...r2Args, '--grpc', r2.grpc!]));
    await r2.waitForLog((l) => l['msg'] === 'restored attachments of nodes that were linked before the restart');
    // Phase 3: sent while that backlog drains; each goes behind it.
    for (let n = 70; n < TOTAL; n++) ids.push(await send(n));
    await held(r2, ids[TOTAL - 1]!);

    // The short-lived message expired at R2 and A reports it so.
    await waitForStates(statuses, [shortLived], 'expired', 60_000);
    const st = (await localRequest(a, 'GET', `/msg/status/${shortLived}`)).json as { state: string; reason?: string };
    assert.equal(st.state, 'expired', JSON.stringify(st));

    // The newest message of each Topic replaces the older ones still waiting: those and every message without a Topic arrive.
    const lastOfTopic = new Map<string, number>();
    for (let n = 0; n < TOTAL; n++) if (topicOf(n)) lastOfTopic.set(topicOf(n)!, n);
    const expected = ids.filter((_, n) => !topicOf(n) || lastOfTopic.get(topicOf(n)!) === n);
    assert.equal(expected.length, 82);

    b = track(await startNode(homeB, bArgs));
    const sseB = await subscribe(b, '/msg/chat');
    t.after(() => sseB.close());
    await sseB.waitForIds(expected, 120_000).catch(async (err: unknown) => {
      // For a post-mortem: every node's log, in test/artifacts/.
      await saveLogs('mesh-store-forward', { a, r1, r2, b });
      throw err;
    });
    // Receipts for all of them reach A (each arrives after B's app took the message).
    const receipts = await waitForStates(statuses, expected, 'delivered', 120_000);
    assert.equal(receipts.size, expected.length);

    const got = sseB.messages().map((e) => String(e['id']));
    assert.deepEqual(got, expected, 'exactly the expected set, each once, in the order sent');
    assert.ok(!got.includes(shortLived), 'the expired message never arrived');
    for (const e of sseB.messages()) assert.deepEqual(e['path'], [r1.id, r2.id]);
    for (const id of expected) assert.equal(((await localRequest(a, 'GET', `/msg/status/${id}`)).json as { state: string }).state, 'delivered');
    // Replaced messages were never delivered: no receipt for them.
    for (const [n, id] of ids.entries()) {
      if (expected.includes(id)) continue;
      assert.ok(topicOf(n));
      assert.notEqual(((await localRequest(a, 'GET', `/msg/status/${id}`)).json as { state: string }).state, 'delivered');
    }
  });
});

/** Waits until the status stream reported `state` for every ID; returns the IDs seen in that state. */
async function waitForStates(stream: Awaited<ReturnType<typeof subscribe>>, ids: readonly string[], state: string, timeoutMs: number): Promise<Set<string>> {
  const want = new Set(ids);
  const seen = (): Set<string> => {
    const s = new Set<string>();
    for (const e of stream.messages()) {
      const d = e['data'] as { id?: string; state?: string } | undefined;
      if (d?.id && d.state === state && want.has(d.id)) s.add(d.id);
    }
    return s;
  };
  const deadline = Date.now() + timeoutMs;
  // The stream's own waiter resolves on each new event; wait on it for one more event at a time.
  while (seen().size < want.size) {
    if (Date.now() > deadline) throw new Error(`only ${seen().size} of ${want.size} ${state} statuses within ${timeoutMs} ms`);
    await stream.waitForMessages(stream.messages().length + 1, Math.max(1, deadline - Date.now())).catch(() => undefined);
  }
  return seen();
}
