/**
 * xDS (issue 18, docs/xds.md): the time from the owner's `POST /config` on
 * node A to the first call of a gRPC app (@grpc/grpc-js-xds, a child
 * process) that reaches the new endpoint, when the app's xDS server is
 * node B and the config travels A → NATS → B. Both nodes are real
 * `pushmesh run` processes; needs /usr/sbin/nats-server (JetStream).
 */
import { CONFIG_MEDIA_TYPE, signConfig } from '../src/signed-config/index.js';
import { startNatsServer } from '../test/backends/support/nats-server.js';
import { spawnNode } from '../test/helpers/signed-config-nodes.js';
import { tempHome } from '../test/helpers/temp-dir.js';
import { makeOwner } from '../test/signed-config/fixtures.js';
import { greeterResources } from '../test/xds/greeter-resources.js';
import { startGreeter, startGreeterClient } from '../test/xds/greeter-servers.js';
import { median } from './harness.js';
import type { BenchContext, BenchModule, BenchSection } from './types.js';

/** Cleanup functions, run last first. */
class Scope {
  readonly #fns: (() => unknown)[] = [];
  after(fn: () => unknown): void {
    this.#fns.push(fn);
  }
  async close(): Promise<void> {
    for (const fn of this.#fns.reverse()) await fn();
  }
}

async function publishToCall(ctx: BenchContext): Promise<BenchSection> {
  const scope = new Scope();
  const nats = await startNatsServer();
  try {
    const owner = makeOwner();
    const ports = { A: await startGreeter(scope, 'A'), B: await startGreeter(scope, 'B') };
    const trust = [`xds=${owner.id}`];
    const a = await spawnNode({ home: await tempHome(scope), trust, extraArgs: ['--nats', nats.url, '--log-level', 'info'] });
    scope.after(() => a.stop());
    const b = await spawnNode({ home: await tempHome(scope), trust, extraArgs: ['--nats', nats.url, '--xds', '127.0.0.1:0', '--log-level', 'info'] });
    scope.after(() => b.stop());
    const running = await b.waitForLog((l) => l.msg === 'pushmesh node running', 'the running line');
    const xdsPort = Number(/:(\d+)$/.exec(String(running['xds']))?.[1]);
    const publish = async (version: number, target: 'A' | 'B'): Promise<void> => {
      const jws = await signConfig({ namespace: 'xds', name: 'greeter', version, data: { resources: greeterResources(ports[target]) } }, owner.privateKey);
      const res = await fetch(`${a.localUrl}/config`, { method: 'POST', headers: { 'content-type': CONFIG_MEDIA_TYPE }, body: jws });
      if (res.status !== 200) throw new Error(`node A refused version ${version}: ${res.status} ${await res.text()}`);
    };
    await publish(1, 'A');
    const app = startGreeterClient(scope, xdsPort);
    await app.callUntil('A');
    const rounds = Math.max(10, Math.round(ctx.seconds * 5));
    const ms: number[] = [];
    for (let v = 2; v < rounds + 2; v++) {
      const target = v % 2 === 0 ? 'B' : 'A';
      const t0 = performance.now();
      await publish(v, target);
      await app.callUntil(target);
      ms.push(performance.now() - t0);
    }
    const sorted = [...ms].sort((x, y) => x - y);
    const p50 = median(ms);
    const p90 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))]!;
    ctx.log(`  publish → next call at the new endpoint: p50 ${p50.toFixed(1)} ms over ${rounds} rounds`);
    return {
      title: 'xDS: owner publishes on node A → NATS → node B → a gRPC app’s calls reach the new endpoint (issue 18)',
      rows: [{ case: `publish → first call at the new endpoint, p50 ${p50.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms (${rounds} rounds)`, opsPerSec: 1000 / p50 }],
      notes: ['Each round signs the next version (alternating the two servers), posts it to node A, and times until the app (a child process, @grpc/grpc-js-xds, bootstrap naming node B) gets an answer from the new server; it calls back to back, so the time includes the last call. ops/s = 1000 / p50 ms.'],
    };
  } finally {
    await scope.close();
    await nats.stop();
  }
}

export const xdsBench: BenchModule = {
  name: 'xds',
  async run(ctx) {
    return [await publishToCall(ctx)];
  },
};
