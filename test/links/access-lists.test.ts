/**
 * The access lists of a running node (`peers.deny` / `peers.allow` in its
 * home folder) are read again when they change: a peer denied while it is
 * linked is cut off with the reason, its reconnections are refused, the
 * refusals are counted in /metrics, and other peers keep their links.
 */
import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempHome } from '../helpers/temp-dir.js';
import { localRequest, startNode, type NodeProcess } from '../helpers/node-process.js';

describe('access lists of a running node', { timeout: 180_000 }, () => {
  const nodes: NodeProcess[] = [];
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop('SIGKILL')));
  });

  it('denying a linked peer closes its link ("forbidden"), refuses it again, and spares the others', { timeout: 120_000 }, async (t) => {
    const homeA = await tempHome(t);
    const a = await startNode(homeA, ['--local', '127.0.0.1:0', '--https', '127.0.0.1:0', '--grpc', '127.0.0.1:0']);
    nodes.push(a);
    const dialer = (home: string, url: string) => startNode(home, ['--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off', '--advertise', 'https://127.0.0.1:9', '--peer', url]);
    const b = await dialer(await tempHome(t), `grpcs://${a.id}@${a.grpc}`);
    nodes.push(b);
    const c = await dialer(await tempHome(t), `wss://${a.id}@127.0.0.1:${a.httpsPort}/ws`);
    nodes.push(c);
    await a.waitForLog((l) => l['msg'] === 'peer link ready' && l['peer'] === b.id);
    await a.waitForLog((l) => l['msg'] === 'peer link ready' && l['peer'] === c.id);

    await writeFile(join(homeA, 'peers.deny'), `# no longer welcome\n${b.id}\n`);
    const down = await b.waitForLog((l) => l['msg'] === 'peer link down; reconnecting' && l['peer'] === a.id);
    assert.equal(down['reason'], 'forbidden');
    assert.match(String(down['detail']), /deny list/);
    await a.waitForLog((l) => l['msg'] === 'closing a peer link the access lists no longer allow' && l['peer'] === b.id);

    // C is untouched: A's app still reaches it over its link.
    const sent = await localRequest(a, 'POST', `/msg/t?to=${c.id}`, { still: 'here' });
    assert.equal(sent.status, 202);
    const peers = (await localRequest(a, 'GET', '/peers')).json as { peers: Array<Record<string, unknown>> };
    assert.equal(peers.peers.find((p) => p['id'] === c.id)?.['connected'], true);
    assert.equal(peers.peers.some((p) => p['id'] === b.id && p['connected'] === true), false);

    // B's next attempt is refused before any link starts, and A counts it.
    const refusedLog = await b.waitForLog((l) => l['msg'] === 'cannot link to peer', 60_000);
    assert.match(String(refusedLog['reason']), /forbidden: node is on the deny list/);
    const metrics = (await localRequest(a, 'GET', '/metrics')).json as string;
    assert.match(metrics, /pushmesh_peer_refused_total\{transport="grpc",reason="forbidden"\} [1-9]/);
    assert.match(metrics, /pushmesh_peer_links_closed_total\{transport="grpc",reason="forbidden"\} 1/);
  });
});
