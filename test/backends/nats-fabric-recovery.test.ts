/**
 * Fast recovery after a NATS outage (issue 13, item 6): a relay delivers
 * a steady stream for node B out of the fabric while the nats-server is
 * SIGKILLed and restarted (same port, same store) 1 s later. Before the
 * fix, the message in flight at the kill was redelivered only when its
 * 30 s ack wait ran out, and with max_ack_pending 1 everything behind it
 * waited (≈ 28 s stall). Now the relay repeats its recent acks on
 * reconnect, and the ack wait is 5 s: B's next delivery comes within
 * seconds of the restart. Measured by events (the first deliver() call
 * after the server is ready again), with a bound of 5 s.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { runFabricOutage } from './support/fabric-outage.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';

/** The bound on the time from the restart to the first delivery after it. */
const RESUME_BOUND_MS = 5000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe('NATS fabric: delivery resumes within seconds after a NATS outage', { timeout: 150_000 }, () => {
  let server: NatsServer;
  before(async () => {
    server = await startNatsServer();
  });
  after(async () => {
    await server?.stop();
  });

  const outage = async (): Promise<number> => {
    await server.kill('SIGKILL');
    await sleep(1000);
    await server.restart();
    return Date.now();
  };

  for (const [name, fabric] of [
    ['with the defaults', {}],
    ['with the old 30 s ack wait (the reconnect alone repeats the lost ack)', { ackWaitMs: 30_000 }],
  ] as const) {
    it(`nats-server SIGKILLed for 1 s mid-load, ${name}: first delivery < ${RESUME_BOUND_MS} ms after the restart; nothing lost or reordered`, { timeout: 70_000 }, async (t) => {
      const r = await runFabricOutage({ inServers: [server.url], outServers: [server.url], fabric, outage });
      t.diagnostic(JSON.stringify(r));
      assert.equal(r.missing, 0, 'every forwarded message arrived');
      assert.ok(r.inOrder, 'in the order they were forwarded');
      assert.equal(r.delivered, r.acked);
      assert.ok(r.firstAfterRestartMs < RESUME_BOUND_MS, `first delivery ${r.firstAfterRestartMs} ms after the restart`);
    });
  }
});
