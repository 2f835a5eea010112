/**
 * An app that sends many messages without waiting (frames pipelined on
 * the app WebSocket, a `POST /msgs` batch): every send is accepted in the
 * order it was made, the answers come in the order of the frames, and the
 * destination's app reads them all once, in that order. Two real
 * `pushmesh run` processes on 127.0.0.1, linked over gRPC.
 */
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { tempHome } from '../helpers/temp-dir.js';
import { grpcUrl, linkReady, localRequest, NodeGroup, startNode, subscribe } from '../helpers/node-process.js';

describe('pipelined sends keep their order', { timeout: 180_000 }, () => {
  const group = new NodeGroup();
  after(() => group.stopAll());

  it('WebSocket frames sent without waiting and a POST /msgs batch: answers in frame order, arrivals once and in order', { timeout: 120_000 }, async (t) => {
    const b = group.track(await startNode(await tempHome(t), ['--local', '127.0.0.1:0', '--https', 'off', '--grpc', '127.0.0.1:0', '--advertise', 'https://127.0.0.1:9']));
    const a = group.track(await startNode(await tempHome(t), ['--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off', '--advertise', 'https://127.0.0.1:9', '--peer', grpcUrl(b)]));
    await linkReady(a, b);
    const sse = await subscribe(b, '/msg/order');
    t.after(() => sse.close());

    const N = 300;
    const ws = new WebSocket(`${a.local.replace('http', 'ws')}/ws?topic=none`);
    t.after(() => ws.close());
    await once(ws, 'open');
    const answers: Array<Record<string, unknown>> = [];
    const allAnswered = new Promise<void>((resolve) => {
      ws.on('message', (raw) => {
        const f = JSON.parse(String(raw)) as Record<string, unknown>;
        if (f['type'] === 'sent' || f['type'] === 'error') answers.push(f);
        if (answers.length === N) resolve();
      });
    });
    for (let i = 0; i < N; i++) ws.send(JSON.stringify({ type: 'send', ref: i, topic: 'order', to: b.id, data: { n: i } }));
    await allAnswered;
    assert.deepEqual(
      answers.map((f) => f['ref']),
      [...Array(N).keys()],
      'answers in the order of the frames',
    );
    assert.ok(answers.every((f) => f['type'] === 'sent' && f['status'] === 'queued'), JSON.stringify(answers.find((f) => f['type'] !== 'sent')));

    const batch = await localRequest(a, 'POST', '/msgs', Array.from({ length: 50 }, (_, i) => ({ topic: 'order', to: b.id, data: { n: N + i } })));
    assert.equal(batch.status, 202);
    const results = (batch.json as { results: Array<Record<string, unknown>> }).results;
    assert.equal(results.length, 50);
    assert.ok(results.every((r) => r['status'] === 'queued'));

    const ids = [...answers.map((f) => String(f['id'])), ...results.map((r) => String(r['id']))];
    const got = await sse.waitForIds(ids, 60_000);
    const seen = got.map((e) => (e['data'] as { n: number }).n);
    assert.deepEqual(seen, [...Array(N + 50).keys()], 'each once, in the order sent');
  });
});
