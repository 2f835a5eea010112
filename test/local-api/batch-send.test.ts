/**
 * Sending several messages per request or per socket (docs/local-api.md
 * "POST /msgs" and "GET /ws"): two real nodes in this process, A knowing
 * B's card (HTTPS Web Push). Every message gets its own ID or error, and
 * B's app receives them in the order sent.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { MAX_BATCH } from '../../src/local-api/routes/batch.js';
import { introduce, localUrl, startInProcessNode } from '../helpers/in-process-node.js';
import { openSse, type SseClient } from '../helpers/sse.js';
import type { CleanupScope } from '../helpers/temp-dir.js';

type Json = Record<string, unknown>;

async function postBatch(base: string, body: string, contentType = 'application/json'): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${base}/msgs`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, json: (await res.json()) as Json };
}

describe('sending several messages at once', { timeout: 120_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  const scope: CleanupScope = { after: (fn) => void cleanups.push(fn) };
  let a: PushmeshNode;
  let b: PushmeshNode;
  let sseB: SseClient;
  before(async () => {
    a = await startInProcessNode(scope);
    b = await startInProcessNode(scope);
    await introduce(a, b);
    sseB = await openSse(`${localUrl(b)}/msg/batch`);
    cleanups.push(() => sseB.close());
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  /** Waits until B's app has the messages `ids`; their `data`, in arrival order. */
  async function arrived(ids: string[]): Promise<unknown[]> {
    const last = ids[ids.length - 1]!;
    await sseB.waitForMessage((m) => m.id === last, 60_000);
    for (const id of ids) await sseB.waitForMessage((m) => m.id === id, 60_000);
    const want = new Set(ids);
    return sseB.messages().filter((m) => want.has(m.id)).map((m) => m.data);
  }

  it('POST /msgs (JSON array): one result per message, in order; a bad one refused alone; B gets the rest in order', async () => {
    const items: unknown[] = [];
    for (let i = 0; i < 20; i++) items.push({ topic: 'batch', to: b.id, data: { i }, ttl: 60, meta: { k: 'v' } });
    items.splice(5, 0, { topic: 'batch', to: b.id, data: { i: 'bad' }, urgency: 'asap' });
    items.splice(9, 0, { topic: 'batch-local', data: 'for A itself' });
    items.splice(12, 0, 'not an object');
    const res = await postBatch(localUrl(a), JSON.stringify(items));
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const results = res.json['results'] as Json[];
    assert.equal(results.length, items.length);
    assert.equal((results[5]!['error'] as Json)['code'], 'ERR_BAD_ARGUMENT');
    assert.equal(results[9]!['status'], 'local');
    assert.equal((results[12]!['error'] as Json)['code'], 'ERR_BAD_ARGUMENT');
    const toB = results.filter((r, i) => r['status'] === 'queued' && i !== 9);
    assert.equal(toB.length, 20);
    assert.equal(new Set(toB.map((r) => r['id'])).size, 20, 'each message has its own ID');
    const data = await arrived(toB.map((r) => String(r['id'])));
    assert.deepEqual(data, Array.from({ length: 20 }, (_, i) => ({ i })));
    const one = sseB.messages().find((m) => m.id === toB[0]!['id'])!;
    assert.equal(one.from, a.id);
    assert.deepEqual(one['meta'], { k: 'v' });
  });

  it('POST /msgs (NDJSON): same as an array, blank lines ignored', async () => {
    const lines = Array.from({ length: 8 }, (_, i) => JSON.stringify({ topic: 'batch', to: b.id, data: { nd: i } }));
    const res = await postBatch(localUrl(a), `${lines.slice(0, 4).join('\n')}\n\n${lines.slice(4).join('\n')}\n`, 'application/x-ndjson');
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const results = res.json['results'] as Json[];
    assert.equal(results.length, 8);
    const data = await arrived(results.map((r) => String(r['id'])));
    assert.deepEqual(data, Array.from({ length: 8 }, (_, nd) => ({ nd })));
  });

  it('POST /msgs: a body that is not a batch is refused whole, nothing sent', async () => {
    const base = localUrl(a);
    const before = sseB.messages().length;
    const cases: [string, string, number][] = [
      ['{"topic":"batch","data":1}', 'application/json', 400], // an object, not an array
      ['[]', 'application/json', 400],
      ['[{"topic":"batch","data":1}', 'application/json', 400],
      [`${JSON.stringify({ topic: 'batch', to: b.id, data: 1 })}\n{oops`, 'application/x-ndjson', 400],
      ['[{"topic":"batch","data":1}]', 'text/plain', 415],
      [JSON.stringify(Array.from({ length: MAX_BATCH + 1 }, () => ({}))), 'application/json', 400],
    ];
    for (const [body, type, status] of cases) {
      const res = await postBatch(base, body, type);
      assert.equal(res.status, status, `${type} ${body.slice(0, 40)}: ${JSON.stringify(res.json)}`);
      assert.equal(typeof (res.json['error'] as Json)['code'], 'string');
    }
    // A browser page of another site cannot send a batch either.
    const cross = await fetch(`${base}/msgs`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: '[]' });
    assert.equal(cross.status, 403);
    // The NDJSON body whose second line was bad sent nothing: a last message proves B saw all there was.
    const probe = await postBatch(base, JSON.stringify([{ topic: 'batch', to: b.id, data: 'probe' }]));
    await arrived([String((probe.json['results'] as Json[])[0]!['id'])]);
    assert.equal(sseB.messages().length, before + 1);
  });

  it('GET /ws: sends pipelined on one socket are answered and delivered in the order sent', async (t) => {
    const ws = new WebSocket(`${localUrl(a).replace('http', 'ws')}/ws?topic=none`);
    t.after(() => ws.terminate());
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const answers: Json[] = [];
    const all = new Promise<void>((resolve) =>
      ws.on('message', (raw) => {
        const f = JSON.parse(String(raw)) as Json;
        if (f['type'] === 'message') return;
        answers.push(f);
        if (answers.length === 30) resolve();
      }),
    );
    for (let ref = 0; ref < 30; ref++) {
      // One bad frame in the middle gets its error in its place.
      ws.send(JSON.stringify(ref === 15 ? { type: 'send', ref, topic: 'batch', to: b.id } : { type: 'send', ref, topic: 'batch', to: b.id, data: { ws: ref } }));
    }
    await all;
    assert.deepEqual(answers.map((f) => f['ref']), Array.from({ length: 30 }, (_, i) => i));
    assert.equal(answers[15]!['type'], 'error');
    const sent = answers.filter((f) => f['type'] === 'sent');
    assert.equal(sent.length, 29);
    const data = await arrived(sent.map((f) => String(f['id'])));
    assert.deepEqual(data, Array.from({ length: 30 }, (_, ws) => ws).filter((i) => i !== 15).map((ws) => ({ ws })));
  });
});
