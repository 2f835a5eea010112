/**
 * Two real `pushmesh run` processes on 127.0.0.1: A listens, B has no
 * listening ports at all (`--https off --grpc off`) and dials A over gRPC
 * or over the WebSocket. Apps on each side send through their own local
 * API and read from their own SSE stream. Then A is killed and restarted:
 * B reconnects on its own, and every message either node acknowledged
 * (202) arrives.
 */
import { strict as assert } from 'node:assert';
import { after, describe, it } from 'node:test';
import { tempHome } from '../helpers/temp-dir.js';
import { localRequest, NodeGroup, startNode, subscribe, type NodeProcess } from '../helpers/node-process.js';

const TIMEOUT = 120_000;

for (const transport of ['grpc', 'wss'] as const) {
  describe(`two nodes linked over ${transport === 'grpc' ? 'gRPC ADS' : 'WebSocket'} (B behind NAT dials A)`, { timeout: 300_000 }, () => {
    const group = new NodeGroup();
    after(() => group.stopAll());
    const track = (n: NodeProcess): NodeProcess => group.track(n);
    const peerUrl = (a: NodeProcess): string =>
      transport === 'grpc' ? `grpcs://${a.id}@${a.grpc}` : `wss://${a.id}@127.0.0.1:${a.httpsPort}/ws`;

    it('carries messages both ways, survives a restart of A, and loses nothing acknowledged', { timeout: TIMEOUT }, async (t) => {
      const since = Date.now();
      const homeA = await tempHome(t);
      const homeB = await tempHome(t);
      let a = track(await startNode(homeA, ['--local', '127.0.0.1:0', '--https', '127.0.0.1:0', '--grpc', '127.0.0.1:0']));
      const b = track(await startNode(homeB, ['--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off', '--advertise', 'https://127.0.0.1:9', '--peer', peerUrl(a)]));
      assert.equal(b.https, null);
      assert.equal(b.grpc, null);

      await b.waitForLog((l) => l['msg'] === 'peer link up' && l['peer'] === a.id);
      await a.waitForLog((l) => l['msg'] === 'peer link ready' && l['peer'] === b.id && l['card'] === true);

      // GET /peers on both sides shows the link.
      const peersA = (await localRequest(a, 'GET', '/peers')).json as { peers: Array<Record<string, unknown>> };
      const linkAtA = peersA.peers.find((p) => p['id'] === b.id);
      assert.equal(linkAtA?.['transport'], transport);
      assert.equal(linkAtA?.['connected'], true);
      assert.equal(linkAtA?.['direction'], 'inbound');
      assert.equal(typeof linkAtA?.['since'], 'number');
      const peersB = (await localRequest(b, 'GET', '/peers')).json as { peers: Array<Record<string, unknown>> };
      assert.equal(peersB.peers.find((p) => p['id'] === a.id)?.['direction'], 'outbound');

      // A's app sends to B by ID alone: A never stored B's card, the link handshake gave it.
      const sseB = await subscribe(b, '/msg/chat');
      const sent = await localRequest(a, 'POST', `/msg/chat?to=${b.id}`, { text: 'hello B' });
      assert.equal(sent.status, 202, JSON.stringify(sent.json));
      const [gotB] = await sseB.waitForMessages(1);
      assert.equal(gotB!['from'], a.id);
      assert.equal(gotB!['to'], b.id);
      assert.deepEqual(gotB!['data'], { text: 'hello B' });
      assert.equal(gotB!['id'], (sent.json as { id: string }).id);

      // B replies.
      const sseA = await subscribe(a, '/msg/chat');
      const reply = await localRequest(b, 'POST', `/msg/chat?to=${a.id}`, { text: 'hello A' });
      assert.equal(reply.status, 202);
      const [gotA] = await sseA.waitForMessages(1);
      assert.equal(gotA!['from'], b.id);
      assert.deepEqual(gotA!['data'], { text: 'hello A' });
      sseA.close();

      // Kill A hard. B notices, keeps accepting its app's messages for A (queued on disk).
      const aGrpc = a.grpc!;
      const aHttps = `127.0.0.1:${a.httpsPort!}`;
      await a.stop('SIGKILL');
      await b.waitForLog((l) => l['msg'] === 'peer link down; reconnecting' && l['peer'] === a.id);
      const whileDown: string[] = [];
      for (let n = 0; n < 5; n++) {
        const r = await localRequest(b, 'POST', `/msg/chat?to=${a.id}`, { n });
        assert.equal(r.status, 202, JSON.stringify(r.json));
        whileDown.push((r.json as { id: string }).id);
      }

      // Restart A on the same addresses: B reconnects by itself and its queued messages arrive.
      const reconnects = b.logs.filter((l) => l['msg'] === 'peer link up').length;
      a = track(await startNode(homeA, ['--local', '127.0.0.1:0', '--https', aHttps, '--grpc', aGrpc]));
      await b.waitForLog((l) => l['msg'] === 'peer link up' && b.logs.filter((x) => x['msg'] === 'peer link up').length > reconnects);
      const replay = await subscribe(a, `/msg/chat?since=${since}`);
      const arrived = await replay.waitForIds(whileDown);
      assert.deepEqual(arrived.map((e) => (e['data'] as { n: number }).n), [0, 1, 2, 3, 4], 'in order');
      replay.close();

      // And A → B works again over the new link.
      const again = await localRequest(a, 'POST', `/msg/chat?to=${b.id}`, { text: 'back' });
      assert.equal(again.status, 202);
      const [back] = await sseB.waitForIds([(again.json as { id: string }).id]);
      assert.deepEqual(back!['data'], { text: 'back' });
      sseB.close();
    });

    it('keeps what A acknowledged for B across a hard kill of A', { timeout: TIMEOUT }, async (t) => {
      const since = Date.now();
      const homeA = await tempHome(t);
      const homeB = await tempHome(t);
      let a = track(await startNode(homeA, ['--local', '127.0.0.1:0', '--https', '127.0.0.1:0', '--grpc', '127.0.0.1:0']));
      let b = track(await startNode(homeB, ['--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off', '--advertise', 'https://127.0.0.1:9', '--peer', peerUrl(a)]));
      const bId = b.id;
      await a.waitForLog((l) => l['msg'] === 'peer link ready' && l['peer'] === bId);
      // B goes away; A accepts messages for it (it knows B's card from the link) and holds them.
      await b.stop('SIGTERM');
      await a.waitForLog((l) => l['msg'] === 'peer link closed' && l['peer'] === bId);
      const accepted: string[] = [];
      for (let n = 0; n < 3; n++) {
        const r = await localRequest(a, 'POST', `/msg/chat?to=${bId}`, { n });
        assert.equal(r.status, 202, JSON.stringify(r.json));
        accepted.push((r.json as { id: string }).id);
      }
      const aGrpc = a.grpc!;
      const aHttps = `127.0.0.1:${a.httpsPort!}`;
      await a.stop('SIGKILL');
      a = track(await startNode(homeA, ['--local', '127.0.0.1:0', '--https', aHttps, '--grpc', aGrpc]));
      b = track(await startNode(homeB, ['--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off', '--advertise', 'https://127.0.0.1:9', '--peer', peerUrl(a)]));
      const sse = await subscribe(b, `/msg/chat?since=${since}`);
      const got = await sse.waitForIds(accepted);
      assert.deepEqual(got.map((e) => e['id']), accepted, 'in order');
      sse.close();
    });
  });
}
