/**
 * examples/xds-greeter/run.sh with ONCE=1: its own nats-server, node A
 * (the owner's node, publishes), node B (--xds), two gRPC servers; the
 * gRPC app on B follows version 1 then version 2, each signed and
 * published to A and carried by NATS; then the script stops every process
 * it started and exits 0.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { NATS_SERVER } from '../backends/support/nats-server.js';
import { runExampleOnce } from '../examples/run-example.js';

describe('examples/xds-greeter/run.sh', { timeout: 180_000 }, () => {
  it('the app resolves xds:///greeter through node B and follows v1 then v2 over NATS (ONCE=1)', async () => {
    const { code, out } = await runExampleOnce('xds-greeter', { NATS_SERVER });
    assert.equal(code, 0, out);
    assert.match(out, /== version 1 signed, published to node A, served by node B[^\n]*\nxds:\/\/\/greeter → hello from one\n== version 2 signed, published to node A, served by node B[^\n]*\nxds:\/\/\/greeter → hello from two\n/);
    const local = /node B\s+\S+\s+local API (http:\/\/[\d.:]+)/.exec(out)![1]!;
    await assert.rejects(fetch(`${local}/healthz`), 'node B is stopped');
  });
});
