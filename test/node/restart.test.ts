import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { pushmeshOk } from '../helpers/cli.js';
import { eventually, metrics, metricValue, postMessage } from '../helpers/local-api.js';
import { spawnNode, type NodeProcess } from '../helpers/node-process.js';
import { openSse } from '../helpers/sse.js';

const queueDepth = async (node: NodeProcess): Promise<number> => metricValue(await metrics(node.local), 'pushmesh_queue_depth');

/**
 * Durability with real processes: a destination that is down gets its
 * messages when it comes back (exactly once), a sender restarted with a
 * queue still delivers it, SIGTERM drains and exits 0.
 */
describe('restarts: queued within TTL, on disk, delivered once', { timeout: 120_000 }, () => {
  let a: NodeProcess;
  let b: NodeProcess;
  const cleanups: (() => unknown)[] = [];
  const scope = { after: (fn: () => unknown) => cleanups.push(fn) };

  before(async () => {
    [a, b] = await Promise.all([spawnNode({ scope }), spawnNode({ scope })]);
    await pushmeshOk(['peer', 'add', b.local, '--home', a.home]);
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  /** B again, from the same home on the same HTTPS port (its card's endpoint). */
  const restartB = async (): Promise<NodeProcess> => spawnNode({ home: b.home, https: `127.0.0.1:${b.httpsPort}`, scope });

  it('B killed (SIGKILL), A sends with TTL 60, B restarted: delivered exactly once', async () => {
    const exit = await b.kill();
    assert.equal(exit.signal, 'SIGKILL');
    const t0 = Date.now();
    const sent = await postMessage(a.local, 'durable', { to: b.id, ttl: 60 }, { n: 1 });
    assert.equal(sent.status, 202);
    const id = String(sent.json['id']);
    assert.equal(await queueDepth(a), 1, 'queued while B is down');

    b = await restartB();
    const sse = await openSse(`${b.local}/msg/durable?since=${t0}`);
    try {
      await sse.waitForMessage((m) => m.id === id, 60_000);
      await eventually(() => queueDepth(a), (d) => d === 0, 30_000, "A's queue to empty");
      // Nothing more can come for `id` now (A removed it); a later message proves the stream is current.
      const marker = await postMessage(a.local, 'durable', { to: b.id }, { marker: true });
      await sse.waitForMessage((m) => m.id === marker.json['id']);
      assert.equal(sse.messages().filter((m) => m.id === id).length, 1);
      assert.deepEqual(sse.messages().find((m) => m.id === id)!.data, { n: 1 });
    } finally {
      sse.close();
    }
  });

  it('A restarted (SIGTERM → exit 0) with messages queued: still delivered after the restart', async () => {
    await b.kill();
    const t0 = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(String((await postMessage(a.local, 'carry', { to: b.id, ttl: 60 }, { i })).json['id']));
    assert.equal(await queueDepth(a), 3);

    // An app connected to A is told why its stream ends; A drains and exits 0.
    const appOnA = await openSse(`${a.local}/msg`);
    const exit = await a.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, a.stderr());
    assert.ok(a.logs.some((r) => r.msg === 'pushmesh node stopped'));
    await appOnA.ended;
    assert.deepEqual(JSON.parse(appOnA.events.find((e) => e.event === 'end')!.data), { reason: 'node shutting down' });
    assert.equal(a.stderr(), '');

    b = await restartB();
    const sse = await openSse(`${b.local}/msg/carry?since=${t0}`);
    try {
      a = await spawnNode({ home: a.home, scope });
      const running = a.logs.find((r) => r.msg === 'pushmesh node running')!;
      assert.equal(running['queued'], 3);
      for (const id of ids) await sse.waitForMessage((m) => m.id === id, 30_000);
      await eventually(() => queueDepth(a), (d) => d === 0, 30_000, "A's queue to empty");
      assert.deepEqual(
        sse.messages().map((m) => m.id).sort(),
        [...ids].sort(),
      );
    } finally {
      sse.close();
    }
  });
});
