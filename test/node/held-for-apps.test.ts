/**
 * Held for the app until it reads (issue 13, item 1), with real
 * processes: B acknowledges a message only once it is on B's disk for its
 * apps. No app is connected to B; A sends 1,200 messages (more than the
 * 1,000 the old in-memory ring kept); once A's queue is empty B is killed
 * with SIGKILL and restarted; an app that connects then with `since=`
 * reads every one of them, once, in the order sent. Before, all 1,200
 * were gone (acknowledged, then lost with B's memory).
 */
import { strict as assert } from 'node:assert';
import { after, describe, it } from 'node:test';
import { pushmeshOk } from '../helpers/cli.js';
import { eventually, metrics, metricValue, postMessage } from '../helpers/local-api.js';
import { spawnNode, type NodeProcess } from '../helpers/node-process.js';
import { openSse } from '../helpers/sse.js';

const COUNT = 1200;
const queueDepth = async (node: NodeProcess): Promise<number> => metricValue(await metrics(node.local), 'pushmesh_queue_depth');

describe('held for the app until it reads: across a SIGKILL of the destination', { timeout: 180_000 }, () => {
  const cleanups: (() => unknown)[] = [];
  const scope = { after: (fn: () => unknown) => cleanups.push(fn) };
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  it(`${COUNT} messages acknowledged by B while no app listens, B killed and restarted: the app reads all of them once, in order`, async () => {
    const [a, b] = await Promise.all([spawnNode({ scope }), spawnNode({ scope })]);
    await pushmeshOk(['peer', 'add', b.local, '--home', a.home]);
    const t0 = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const r = await postMessage(a.local, 'held', { to: b.id, ttl: 600 }, { i });
      assert.equal(r.status, 202);
      ids.push(String(r.json['id']));
    }
    // Every message acknowledged by B (A deletes a message only on B's ACK).
    await eventually(() => queueDepth(a), (d) => d === 0, 120_000, "A's queue to empty");
    const exit = await b.kill();
    assert.equal(exit.signal, 'SIGKILL');

    const b2 = await spawnNode({ home: b.home, https: `127.0.0.1:${b.httpsPort}`, scope });
    const sse = await openSse(`${b2.local}/msg/held?since=${t0}`);
    try {
      await sse.waitForMessage((m) => m.id === ids[COUNT - 1], 60_000);
      const got = sse.messages().filter((m) => m.topic === 'held');
      assert.equal(got.length, COUNT, 'each once');
      assert.deepEqual(got.map((m) => m.id), ids, 'in the order sent');
      assert.deepEqual(got[7]!.data, { i: 7 });
      assert.equal(got[0]!.from, a.id);
    } finally {
      sse.close();
    }
  });
});
