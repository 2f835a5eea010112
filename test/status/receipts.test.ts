import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { introduce, localUrl, startInProcessNode } from '../helpers/in-process-node.js';
import { openSse } from '../helpers/sse.js';

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('delivery status and receipts', { timeout: 60_000 }, () => {
  it('reports sent, then delivered once an app at the destination has the message', async (t) => {
    const a = await startInProcessNode(t);
    const b = await startInProcessNode(t);
    await introduce(a, b);
    const aStream = await openSse(`${localUrl(a)}/msg/pushmesh.status`);
    t.after(() => aStream.close());

    const res = await post(`${localUrl(a)}/msg/chat?to=${b.identity.id}&receipt=1`, { text: 'hi' });
    assert.equal(res.status, 202);
    const { id } = (await res.json()) as { id: string };
    // Delivered to B's node, but no app has it yet: "sent".
    const sent = await waitFor('status sent', async () => {
      const st = (await (await fetch(`${localUrl(a)}/msg/status/${id}`)).json()) as { state: string; receipt: boolean };
      return st.state === 'sent' ? st : undefined;
    });
    assert.equal(sent.receipt, true);

    // B's app connects late and replays: that is when the receipt goes back.
    const bStream = await openSse(`${localUrl(b)}/msg/chat?since=0`);
    t.after(() => bStream.close());
    const got = JSON.parse((await bStream.waitFor(() => true)).data) as { id: string; from: string };
    assert.equal(got.id, id);
    assert.equal(got.from, a.identity.id);

    const ev = JSON.parse((await aStream.waitFor((e) => JSON.parse(e.data).data.id === id)).data) as { topic: string; from: string; data: { id: string; to: string; state: string } };
    assert.equal(ev.topic, 'pushmesh.status');
    assert.deepEqual({ id: ev.data.id, to: ev.data.to, state: ev.data.state }, { id, to: b.identity.id, state: 'delivered' });
    const st = (await (await fetch(`${localUrl(a)}/msg/status/${id}`)).json()) as { state: string };
    assert.equal(st.state, 'delivered');

    // A second app at B taking the same message sends no second receipt; B's apps never see receipts.
    const held = (await (await fetch(`${localUrl(b)}/msg`)).json()) as { messages: { topic: string }[] };
    assert.ok(held.messages.every((m) => m.topic === 'chat'), JSON.stringify(held.messages.map((m) => m.topic)));
  });

  it('a message without receipt stays "sent"; unknown IDs are 404', async (t) => {
    const a = await startInProcessNode(t);
    const b = await startInProcessNode(t);
    await introduce(a, b);
    const { id } = (await (await post(`${localUrl(a)}/msg/chat?to=${b.identity.id}`, 1)).json()) as { id: string };
    await waitFor('status sent', async () => ((await (await fetch(`${localUrl(a)}/msg/status/${id}`)).json()) as { state: string }).state === 'sent' || undefined);
    assert.equal((await fetch(`${localUrl(a)}/msg/status/nope`)).status, 404);
  });

  it('reports a message whose TTL runs out before delivery as expired', async (t) => {
    const a = await startInProcessNode(t);
    const b = await startInProcessNode(t);
    await introduce(a, b);
    await b.close();
    const aStream = await openSse(`${localUrl(a)}/msg/pushmesh.status`);
    t.after(() => aStream.close());
    const { id } = (await (await post(`${localUrl(a)}/msg/chat?to=${b.identity.id}&ttl=2`, 1)).json()) as { id: string };
    assert.equal(((await (await fetch(`${localUrl(a)}/msg/status/${id}`)).json()) as { state: string }).state, 'queued');
    const ev = JSON.parse((await aStream.waitFor((e) => JSON.parse(e.data).data.id === id, 20_000)).data) as { data: { state: string } };
    assert.equal(ev.data.state, 'expired');
  });
});
