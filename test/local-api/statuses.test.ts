import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_RECENT, parseRecent } from '../../src/local-api/recent-param.js';
import { introduce, startTestNode, type TestNode } from '../helpers/node.js';
import { postMessage } from '../helpers/local-api.js';
import { onlyTyped } from '../helpers/typed-errors.js';

describe('?recent= of GET /statuses (fast-check)', () => {
  it('any value is a whole number 1..1000 written plainly, or ERR_BAD_ARGUMENT', () => {
    const value = fc.oneof(
      fc.integer({ min: -5, max: MAX_RECENT + 5 }).map(String),
      fc.string({ maxLength: 8 }),
      fc.string({ unit: fc.constantFrom(...'0123456789+-. e'), maxLength: 6 }),
      fc.array(fc.nat(50).map(String), { minLength: 2, maxLength: 3 }),
      fc.constantFrom(undefined, '', '01', '1000', '1001', '1e2', ' 5', '5 '),
    );
    fc.assert(
      fc.property(value, (v) => {
        const r = onlyTyped(['ERR_BAD_ARGUMENT'], () => parseRecent(v));
        const good = v === undefined || (typeof v === 'string' && /^[1-9]\d*$/.test(v) && Number(v) <= MAX_RECENT);
        assert.equal(r.ok, good, String(v));
        if (r.ok) assert.equal(r.value, v === undefined ? 20 : Number(v));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('GET /statuses on a real node', { timeout: 60_000 }, () => {
  let a: TestNode;
  let b: TestNode;
  before(async () => {
    a = await startTestNode();
    b = await startTestNode();
    await introduce(a, b);
  });
  after(async () => {
    await a?.close();
    await b?.close();
  });

  it('lists the statuses of messages sent, newest first, as GET /msg/status/<id> gives them', async () => {
    const empty = await fetch(`${a.localUrl}/statuses`);
    assert.equal(empty.status, 200);
    assert.deepEqual(await empty.json(), { statuses: [] });
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const sent = await postMessage(a.localUrl, 'chat', { to: b.node.identity.id }, { n });
      assert.equal(sent.status, 202, JSON.stringify(sent.json));
      ids.push(String(sent.json['id']));
    }
    // A message for this node's own apps has no delivery status.
    assert.equal((await postMessage(a.localUrl, 'chat', {}, { n: 0 })).status, 202);
    const all = (await (await fetch(`${a.localUrl}/statuses`)).json()) as { statuses: { id: string }[] };
    assert.deepEqual(new Set(all.statuses.map((s) => s.id)), new Set(ids));
    // The same objects (their state may move on between two reads).
    const fixed = (s: { id: string; to?: string; receipt?: boolean }): unknown => ({ id: s.id, to: s.to, receipt: s.receipt });
    for (const s of all.statuses) assert.deepEqual(fixed(s), fixed((await (await fetch(`${a.localUrl}/msg/status/${s.id}`)).json()) as { id: string }));
    const one = (await (await fetch(`${a.localUrl}/statuses?recent=1`)).json()) as { statuses: { id: string }[] };
    assert.equal(one.statuses.length, 1);
    assert.ok(ids.includes(one.statuses[0]!.id));
  });

  it('refuses a bad ?recent= or another parameter with 400 and a JSON error', async () => {
    for (const q of ['recent=0', 'recent=1001', 'recent=abc', 'recent=1&recent=2', 'limit=5']) {
      const res = await fetch(`${a.localUrl}/statuses?${q}`);
      assert.equal(res.status, 400, q);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'ERR_BAD_ARGUMENT', q);
    }
  });

  it("is refused to other sites' pages and to page loads, like the /msg reads", async () => {
    for (const headers of [{ 'sec-fetch-site': 'cross-site' } as Record<string, string>, { origin: 'http://evil.example' }, { 'sec-fetch-dest': 'document', 'sec-fetch-site': 'none' }]) {
      const res = await fetch(`${a.localUrl}/statuses`, { headers });
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'ERR_FORBIDDEN');
    }
    const own = await fetch(`${a.localUrl}/statuses`, { headers: { 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' } });
    assert.equal(own.status, 200);
  });
});
