/**
 * Four real `pushmesh run` processes on 127.0.0.1 in a chain
 * A → R1 ← R2 ← B: A dials R1, R2 dials R1, B dials R2; A and B listen on
 * nothing. A and B know each other's cards (stored with the peer store,
 * their endpoints unreachable); the relays know neither. Messages go
 * A → R1 → R2 → B and back by the routes R2 announced to R1 and the
 * upstream defaults, relays never see the plaintext, and a message for a
 * stopped B waits at R2 and arrives once, in order, when B is back.
 */
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import { after, describe, it } from 'node:test';
import { PeerStore, cardFor, openIdentity } from '../../src/identity/index.js';
import { tempHome } from '../helpers/temp-dir.js';
import { grpcUrl, linkReady, localRequest, NodeGroup, startNode, subscribe, type NodeProcess } from '../helpers/node-process.js';

const NOWHERE = 'https://127.0.0.1:9';

describe('mesh routing through a chain of relays (A → R1 ← R2 ← B)', { timeout: 300_000 }, () => {
  const group = new NodeGroup();
  let service: Server | null = null;
  after(async () => {
    await group.stopAll();
    service?.close();
  });
  const track = (n: NodeProcess): NodeProcess => group.track(n);
  const linked = linkReady;

  it('relays both ways, honours via, never shows relays the plaintext, holds for a departed node, carries receipts and requests', { timeout: 240_000 }, async (t) => {
    const [homeA, homeB, homeR1, homeR2] = await Promise.all([tempHome(t), tempHome(t), tempHome(t), tempHome(t)]);
    // A and B know each other's cards; nobody else does.
    const idA = (await openIdentity(homeA)).identity;
    const idB = (await openIdentity(homeB)).identity;
    await new PeerStore(homeA).add(cardFor(idB, NOWHERE));
    await new PeerStore(homeB).add(cardFor(idA, NOWHERE));

    service = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`B got ${req.method} ${req.url} ${body}`);
      });
    });
    await new Promise<void>((r) => service!.listen(0, '127.0.0.1', r));
    const servicePort = (service.address() as { port: number }).port;

    const listen = ['--local', '127.0.0.1:0', '--https', '127.0.0.1:0', '--grpc', '127.0.0.1:0'];
    const hidden = ['--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off', '--advertise', NOWHERE];
    const r1 = track(await startNode(homeR1, listen));
    const r2 = track(await startNode(homeR2, [...listen, '--peer', grpcUrl(r1)]));
    const a = track(await startNode(homeA, [...hidden, '--peer', grpcUrl(r1)]));
    const bArgs = [...hidden, '--peer', grpcUrl(r2), '--service', `http://127.0.0.1:${servicePort}`, '--service-allow', idA.id];
    let b = track(await startNode(homeB, bArgs));
    await Promise.all([linked(r1, r2), linked(r1, a), linked(r2, b)]);

    // R1 learns B from R2's signed announcement.
    const routeToB = async (): Promise<Record<string, unknown> | undefined> => {
      const { routes } = (await localRequest(r1, 'GET', '/routes')).json as { routes: Array<Record<string, unknown>> };
      return routes.find((r) => r['dest'] === b.id && r['kind'] === 'announced' && r['next'] === r2.id);
    };
    await r1.waitForLog((l) => l['msg'] === 'learned routes' && l['peer'] === r2.id && Number(l['routes']) >= 1, 60_000);
    assert.equal((await routeToB())?.['hops'], 2);

    // A → B by ID: through R1 and R2.
    const sseB = await subscribe(b, '/msg/chat');
    const secret = 'the-plaintext-relays-must-not-see';
    const sent = await localRequest(a, 'POST', `/msg/chat?to=${b.id}`, { text: secret });
    assert.equal(sent.status, 202, JSON.stringify(sent.json));
    const [gotB] = await sseB.waitForIds([(sent.json as { id: string }).id], 60_000);
    assert.equal(gotB!['from'], a.id);
    assert.deepEqual(gotB!['data'], { text: secret });
    assert.deepEqual(gotB!['path'], [r1.id, r2.id]);

    // B → A: upstream R2, upstream... R2's upstream R1, which has A linked.
    const sseA = await subscribe(a, '/msg/chat');
    const reply = await localRequest(b, 'POST', `/msg/chat?to=${a.id}`, { text: 'hello A' });
    assert.equal(reply.status, 202);
    const [gotA] = await sseA.waitForIds([(reply.json as { id: string }).id], 60_000);
    assert.deepEqual(gotA!['data'], { text: 'hello A' });
    assert.deepEqual(gotA!['path'], [r2.id, r1.id]);
    sseA.close();

    // Explicit jump hosts.
    const viaSent = await localRequest(a, 'POST', `/msg/chat?to=${b.id}&via=${r1.id},${r2.id}`, { text: 'via' });
    assert.equal(viaSent.status, 202);
    const [gotVia] = await sseB.waitForIds([(viaSent.json as { id: string }).id], 60_000);
    assert.deepEqual(gotVia!['path'], [r1.id, r2.id]);
    // A jump host nobody can reach: no_route at R1 makes A hold it (its status stays short of delivered).

    // Request/response to B's service through the chain.
    const res = await localRequest(a, 'POST', `/req/${b.id}/echo?x=1`, 'ping');
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.match(String(res.json), /B got POST \/echo\?x=1/);

    // Relays never see the plaintext.
    for (const relay of [r1, r2]) assert.ok(!JSON.stringify(relay.logs).includes(secret), 'a relay logged the plaintext');
    sseB.close();

    // B goes away: R2 holds what comes for it, B gets each message once, in order, and A sees receipts.
    await b.stop('SIGTERM');
    await r2.waitForLog((l) => l['msg'] === 'peer link closed' && l['peer'] === b.id);
    const statuses = await subscribe(a, '/msg/pushmesh.status');
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) {
      const r = await localRequest(a, 'POST', `/msg/chat?to=${b.id}&ttl=120&receipt=1`, { n });
      assert.equal(r.status, 202, JSON.stringify(r.json));
      ids.push((r.json as { id: string }).id);
    }
    await r2.waitForLog((l) => l['msg'] === 'holding a message until its destination is back' && l['msg_id'] === ids[4], 60_000);
    b = track(await startNode(homeB, bArgs));
    const sseB2 = await subscribe(b, '/msg/chat');
    await sseB2.waitForIds(ids, 60_000);
    const chat = sseB2.messages().filter((e) => ids.includes(String(e['id'])));
    assert.deepEqual(chat.map((e) => e['id']), ids, 'each once, in order');
    sseB2.close();
    const delivered = (await statuses.waitForMessages(5, 60_000)).map((e) => e['data'] as { id: string; state: string });
    assert.deepEqual(delivered.map((d) => d.state), Array(5).fill('delivered'));
    assert.deepEqual(new Set(delivered.map((d) => d.id)), new Set(ids));
    for (const id of ids) assert.equal(((await localRequest(a, 'GET', `/msg/status/${id}`)).json as { state: string }).state, 'delivered');
    statuses.close();
  });
});
