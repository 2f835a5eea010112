/**
 * examples/nats-relays/run.sh with ONCE=1: its own nats-server (JetStream,
 * free port), two relays sharing it, device A on relay 1 and device B on
 * relay 2; a message crosses relay 1 → NATS → relay 2 → B and the reply
 * the other way, each with a receipt; then the script stops every process
 * it started and exits 0.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { printedMessages, runExampleOnce } from './run-example.js';
import { NATS_SERVER } from '../backends/support/nats-server.js';

interface Shown {
  from: string;
  to: string;
  data: { text: string };
  path: string[];
}

describe('examples/nats-relays/run.sh', { timeout: 180_000 }, () => {
  it('shows a message crossing relay 1 → NATS → relay 2 → B and back, then stops everything it started (ONCE=1)', async () => {
    const { code, out } = await runExampleOnce('nats-relays', { NATS_SERVER });
    assert.equal(code, 0, out);
    const id = (label: string): string => {
      const m = new RegExp(`^${label}\\s+([a-z2-7]{52})`, 'm').exec(out);
      assert.ok(m, `${label} in the output:\n${out}`);
      return m[1]!;
    };
    const [r1, r2, a, b] = [id('relay 1'), id('relay 2'), id('device A'), id('device B')];
    const [atB, atA] = printedMessages<Shown>(out);
    assert.ok(atB && atA, out);
    assert.deepEqual(
      atB.map((m) => [m.from, m.to, m.data.text, m.path]),
      [[a, b, 'A to B, relay 1 → NATS → relay 2', [r1, r2]]],
    );
    assert.deepEqual(
      atA.map((m) => [m.from, m.to, m.data.text, m.path]),
      [[b, a, 'B to A, relay 2 → NATS → relay 1', [r2, r1]]],
    );
    assert.match(out, /A has B's receipt: delivered/);
    assert.match(out, /B has A's receipt: delivered/);
    // Every process it started is gone: nothing listens on the ports it printed any more.
    const local = /device B\s+\S+\s+local API (http:\/\/[\d.:]+)/.exec(out)![1]!;
    await assert.rejects(fetch(`${local}/healthz`));
  });

  it('fails with a one-line reason and a non-zero exit when nats-server is missing', async () => {
    const { code, out } = await runExampleOnce('nats-relays', { NATS_SERVER: '/nonexistent/nats-server' }, 60_000);
    assert.notEqual(code, 0);
    assert.match(out, /^error: nats-server not found/m);
  });
});
