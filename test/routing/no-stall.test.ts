/**
 * Issue 13, point 5: no head-of-line stall. Real nodes in this process,
 * A → R ← B (A and B dial the relay R; strict order, deliveryWindow 1).
 * A sends one message through a jump host nobody knows (R answers
 * `no_route`), then ten more to B: the ten reach B's apps at once, each
 * once and in order, without waiting behind the first; the first ends
 * `rejected` (`no_route`) after `limits.jumpHostWait`, with a
 * `pushmesh.status` event and `GET /msg/status/<id>` saying so. Before,
 * the first was retried for its whole TTL (a day by default) and every
 * later message to B waited behind it.
 *
 * And at POST time: a node that has no way at all to a jump host (no link,
 * no route, no upstream, no card, no --peer naming it) refuses it with 400
 * and the reason; so does a `via` naming the node itself or a node twice.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { introduce, localUrl, published, startInProcessNode } from '../helpers/in-process-node.js';
import { getJson, postMessage } from '../helpers/local-api.js';
import { makeNode } from '../message/nodes.js';

const NOWHERE = 'https://127.0.0.1:9';


describe('no head-of-line stall behind a message that cannot be routed', { timeout: 60_000 }, () => {
  it('a message through an unknown jump host does not hold up the later ones, and ends rejected with no_route', { timeout: 45_000 }, async (t) => {
    const r = await startInProcessNode(t, { https: null, grpc: { host: '127.0.0.1', port: 0 }, advertise: NOWHERE });
    const rUrl = `grpcs://${r.id}@127.0.0.1:${r.addresses.grpc!.port}`;
    const WAIT_S = 2;
    const a = await startInProcessNode(t, { https: null, advertise: NOWHERE, peers: [rUrl], limits: { ...r.config.limits, deliveryWindow: 1, jumpHostWait: WAIT_S } });
    const b = await startInProcessNode(t, { https: null, advertise: NOWHERE, peers: [rUrl] });
    await introduce(a, b);

    // The way A → R → B works (B's link to R may come up after A's: retried until it does).
    const probe = published(b, (m) => m.topic === 'probe');
    await a.send({ to: b.id, topic: 'probe', data: { kind: 'json', value: 0 }, ttl: 60, urgency: 'normal' });
    await probe;

    const nobody = makeNode().id;
    const got: number[] = [];
    const TEN = 10;
    const allTen = published(b, (m) => m.topic === 'order' && got.push(m.data.kind === 'json' ? (m.data.value as number) : -1) === TEN, 10_000, 'ten messages at B');
    const statusEvent = published(a, (m) => m.topic === 'pushmesh.status', 20_000, 'status event at A');
    statusEvent.catch(() => undefined); // awaited below; not an unhandled rejection if an earlier check fails
    const bad = await postMessage(localUrl(a), 'order', { to: b.id, via: nobody }, -1);
    assert.equal(bad.status, 202, 'A has an upstream: it cannot tell the jump host is unknown');
    const badId = bad.json['id'] as string;
    const t0 = Date.now();
    for (let i = 1; i <= TEN; i++) await a.send({ to: b.id, topic: 'order', data: { kind: 'json', value: i }, ttl: 600, urgency: 'normal' });
    await allTen;
    const tookMs = Date.now() - t0;
    assert.deepEqual(got, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'each once, in order, none waiting behind the unroutable one');
    assert.ok(tookMs < WAIT_S * 1000, `the ten went at once (${tookMs} ms), not after the jump host was given up`);

    // Its sender sees a final status.
    const ev = await statusEvent;
    const data = ev.data.kind === 'json' ? (ev.data.value as Record<string, unknown>) : {};
    assert.equal(data['id'], badId);
    assert.equal(data['state'], 'rejected');
    assert.match(String(data['reason']), /^no_route: /);
    assert.ok(Date.now() - t0 >= WAIT_S * 1000 - 100, 'given up after limits.jumpHostWait, not before');
    const st = await getJson(`${localUrl(a)}/msg/status/${badId}`);
    assert.equal(st.json['state'], 'rejected');
    assert.equal(got.includes(-1), false, 'the unroutable message never reached B');
  });

  it('POST /msg refuses a jump host the node has no way at all to reach, itself, or the same node twice (400 with the reason)', async (t) => {
    const c = await startInProcessNode(t, { https: null, advertise: NOWHERE });
    const d = await startInProcessNode(t, { https: null, advertise: NOWHERE });
    await introduce(c, d);
    const local = localUrl(c);
    const nobody = makeNode().id;

    const unknown = await postMessage(local, 'x', { to: d.id, via: nobody }, 1);
    assert.equal(unknown.status, 400);
    assert.match(JSON.stringify(unknown.json['error']), new RegExp(`no way to reach jump host ${nobody}`));

    const self = await postMessage(local, 'x', { to: d.id, via: c.id }, 1);
    assert.equal(self.status, 400);
    assert.match(JSON.stringify(self.json['error']), /names this node/);

    const twice = await postMessage(local, 'x', { to: d.id, via: `${d.id},${d.id}` }, 1);
    assert.equal(twice.status, 400);
    assert.match(JSON.stringify(twice.json['error']), /twice/);

    // A jump host whose card this node knows may link later: accepted (and given up after limits.jumpHostWait if it never does).
    const known = await postMessage(local, 'x', { to: d.id, via: d.id }, 1);
    assert.equal(known.status, 202);
  });
});
