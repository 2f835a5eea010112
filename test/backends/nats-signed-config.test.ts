import { strict as assert } from 'node:assert';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pushmeshOk } from '../helpers/cli.js';
import { generatePrivateKey, pkcs8Pem } from '../helpers/keys.js';
import { metricValue, spawnNode, waitForConfigEvent, type LogLine, type RunningNode } from '../helpers/signed-config-nodes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';

const NS = 'fleet';
const NAME = 'settings';

/**
 * Signed configs over JetStream end to end: real `pushmesh run --nats`
 * processes that do not know each other's cards (so the mesh cannot
 * carry anything between them: NATS is the only pipe), a real
 * nats-server, configs signed with `pushmesh config sign`.
 */
describe('signed config over NATS JetStream (real processes, real nats-server)', { timeout: 180_000 }, () => {
  let server: NatsServer;
  let outside: NatsConnection;
  let dir: string;
  let ownerId: string;
  const nodes: RunningNode[] = [];
  const jws: Record<string, string> = {};

  const start = async (i: number): Promise<RunningNode> => {
    const node = await spawnNode({ home: join(dir, `node${i}`), trust: [`${NS}=${ownerId}`], extraArgs: ['--nats', server.url] });
    nodes.push(node);
    return node;
  };
  const sign = async (version: number, data: string): Promise<string> => {
    const file = join(dir, `v${version}.yaml`);
    await writeFile(file, data);
    return pushmeshOk(['config', 'sign', '--key', join(dir, 'owner.pem'), '--namespace', NS, '--name', NAME, '--version', String(version), file]);
  };
  const served = async (node: RunningNode): Promise<{ version: number; data: unknown }> => {
    const res = await fetch(`${node.localUrl}/config/${NS}/${NAME}`);
    assert.equal(res.status, 200);
    return (await res.json()) as { version: number; data: unknown };
  };

  before(async () => {
    server = await startNatsServer();
    outside = await connect({ servers: server.url });
    dir = await tempDir();
    await writeFile(join(dir, 'owner.pem'), pkcs8Pem(generatePrivateKey('p256')), { mode: 0o600 });
    ownerId = await pushmeshOk(['init', '--home', join(dir, 'owner-home'), '--import-key', join(dir, 'owner.pem')]);
    jws['v0'] = await sign(0, 'mode: old\n');
    jws['v1'] = await sign(1, 'mode: new\nrps: 50\n');
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await outside?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('v1 posted on node 1 is served by node 2; node 3, started later, gets it from the stream (last per subject)', async () => {
    const n1 = await start(1);
    const n2 = await start(2);
    const watch2 = waitForConfigEvent(n2.localUrl, NS, NAME, 1);
    watch2.catch(() => undefined);
    const res = await fetch(`${n1.localUrl}/config`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: jws['v1'] });
    assert.equal(res.status, 200, await res.clone().text());
    const view = await watch2;
    assert.equal(view['version'], 1);
    assert.deepEqual(await served(n2), { ...(await served(n2)), version: 1, data: { mode: 'new', rps: 50 } });
    assert.equal(await metricValue(n2.localUrl, 'pushmesh_config_accepted_total{source="nats"}'), 1);

    // What the server holds: exactly v1 on the config subject.
    const jsm = await jetstreamManager(outside);
    const last = await jsm.streams.getMessage('PUSHMESH_CONFIG', { last_by_subj: `pushmesh.config.${NS}.${NAME}` });
    assert.ok(last, 'the config subject holds a message');
    assert.equal(last.string(), jws['v1']);

    const n3 = await start(3);
    const view3 = await waitForConfigEvent(n3.localUrl, NS, NAME, 1);
    assert.equal(view3['version'], 1);
    assert.equal(await metricValue(n3.localUrl, 'pushmesh_config_accepted_total{source="nats"}'), 1);
  });

  it('a v0 replay published straight onto the config subject by a plain NATS client is refused by every node and counted', async () => {
    await jetstream(outside).publish(`pushmesh.config.${NS}.${NAME}`, Buffer.from(jws['v0']!));
    const refused = (l: LogLine) => l.msg === 'signed config refused' && l['reason'] === 'rollback' && l['source'] === 'nats';
    for (const node of nodes) {
      await node.waitForLog(refused, `node ${node.id} refusing the v0 replay`);
      assert.equal(await metricValue(node.localUrl, 'pushmesh_config_refused_total{reason="rollback",source="nats"}'), 1);
      assert.equal((await served(node)).version, 1, 'still serving v1');
    }
  });
});
