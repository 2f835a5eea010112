/**
 * Issue 12: a linked stranger flooding route announcements. Three real
 * `pushmesh run` processes on 127.0.0.1, R1 ← R2 ← B (R2 a relay that
 * dials R1, B a device behind R2; R1 knows B's card), and a stranger: a
 * fresh node in this process that dials R1 and announces 4,800 routes to
 * throwaway nodes, as unnumbered changes and as one numbered generation in
 * parts. R1 (default limits, no allow list) keeps at most 100 routes from
 * it, counts the refused ones, logs once, stays within a stated memory
 * bound, and still reaches B through R2.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { cardFor, openIdentity, PeerStore } from '../../src/identity/index.js';
import { tempHome } from '../helpers/temp-dir.js';
import { grpcUrl, linkReady, localRequest, NodeGroup, startNode, subscribe, type NodeProcess } from '../helpers/node-process.js';
import { flood, linkedTo, startStranger } from './route-flood.js';

const NOWHERE = 'https://127.0.0.1:9';
/** Growth of R1's RSS under the flood that this test accepts (bench/route-flood.ts measures it: docs/benchmarks.md). */
const RSS_BOUND_MB = 40;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

function metric(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('a linked stranger flooding route announcements (R1 ← R2 ← B, stranger → R1)', { timeout: 300_000 }, () => {
  const group = new NodeGroup();
  after(() => group.stopAll());

  it('R1 keeps at most 100 of its routes, counts and logs the refusal once, stays within bound, and still reaches B through R2', { timeout: 240_000 }, async (t) => {
    const [homeR1, homeR2, homeB, homeS] = await Promise.all([tempHome(t), tempHome(t), tempHome(t), tempHome(t)]);
    const idB = (await openIdentity(homeB)).identity;
    await new PeerStore(homeR1).add(cardFor(idB, NOWHERE));
    const relay = ['--local', '127.0.0.1:0', '--https', 'off', '--grpc', '127.0.0.1:0', '--advertise', NOWHERE];
    const r1 = group.track(await startNode(homeR1, relay));
    const r2 = group.track(await startNode(homeR2, [...relay, '--peer', grpcUrl(r1)]));
    const b: NodeProcess = group.track(await startNode(homeB, ['--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off', '--advertise', NOWHERE, '--peer', grpcUrl(r2)]));
    await Promise.all([linkReady(r1, r2), linkReady(r2, b)]);
    const routes = async (): Promise<Array<Record<string, unknown>>> => ((await localRequest(r1, 'GET', '/routes')).json as { routes: Array<Record<string, unknown>> }).routes;
    const toB = async (): Promise<Record<string, unknown> | undefined> => (await routes()).find((r) => r['dest'] === b.id && r['kind'] === 'announced' && r['next'] === r2.id);
    await r1.waitForLog((l) => l['msg'] === 'learned routes' && l['peer'] === r2.id && Number(l['routes']) >= 1, 60_000);
    assert.equal((await toB())?.['hops'], 2);
    const rssBefore = rssMb(r1.child.pid!);

    const stranger = await startStranger(homeS, grpcUrl(r1));
    t.after(() => stranger.close());
    await linkedTo(stranger, r1.id);
    const sentChanges = await flood(stranger, r1.id, { routes: 4_000, style: 'changes' });
    const sentParts = await flood(stranger, r1.id, { routes: 800, style: 'generation' });
    assert.equal(sentChanges + sentParts, 600);

    const table = await routes();
    const fromStranger = table.filter((r) => r['next'] === stranger.id && r['kind'] === 'announced');
    assert.ok(fromStranger.length <= 100, `R1 keeps at most maxRoutesPerUnlistedPeer (100) routes from the stranger, not ${fromStranger.length}`);
    assert.ok(fromStranger.length >= 90, `and takes up to that many (${fromStranger.length})`);
    assert.ok(table.some((r) => r['dest'] === stranger.id && r['kind'] === 'link'), 'its own link stays');
    assert.equal((await toB())?.['hops'], 2, 'the route R2 announced is untouched');
    const body = JSON.stringify({ routes: table });
    assert.ok(body.length < 64 * 1024, `GET /routes stays small (${body.length} bytes)`);

    const metrics = String((await localRequest(r1, 'GET', '/metrics')).json);
    const overCap = metric(metrics, 'pushmesh_routes_refused_total', 'reason="peer_limit"');
    const overRate = metric(metrics, 'pushmesh_routes_refused_total', 'reason="rate_limit"');
    // Each of the two floods had 100 taken (the full generation replaced what the changes left): 4,600 refused.
    assert.ok(overCap + 8 * overRate >= 4_800 - 2 * 100, `refused routes are counted: ${overCap} over the cap, ${overRate} parts over the rate`);
    const logged = r1.logs.filter((l) => String(l['msg']).startsWith('refused announced routes'));
    assert.ok(logged.length >= 1 && logged.length <= 2, `logged once per reason, not per route (${logged.length} lines)`);

    const rssAfter = rssMb(r1.child.pid!);
    t.diagnostic(`R1 RSS ${rssBefore.toFixed(1)} → ${rssAfter.toFixed(1)} MB; ${fromStranger.length} routes kept from the stranger; refused: ${overCap} (cap), ${overRate} parts (rate)`);
    assert.ok(rssAfter - rssBefore < RSS_BOUND_MB, `R1's RSS grew ${(rssAfter - rssBefore).toFixed(1)} MB under the flood (bound ${RSS_BOUND_MB} MB)`);

    // Legitimate routes keep working: R1 → B through R2.
    const sse = await subscribe(b, '/msg/chat');
    t.after(() => sse.close());
    const sent = await localRequest(r1, 'POST', `/msg/chat?to=${b.id}`, { after: 'the flood' });
    assert.equal(sent.status, 202, JSON.stringify(sent.json));
    const [got] = await sse.waitForIds([(sent.json as { id: string }).id], 60_000);
    assert.equal(got!['from'], r1.id);
    assert.deepEqual(got!['path'], [r2.id]);
  });
});
