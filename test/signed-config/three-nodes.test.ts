import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pushmeshOk, runPushmesh, STACK_FRAME } from '../helpers/cli.js';
import { generatePrivateKey, pkcs8Pem } from '../helpers/keys.js';
import { metricValue, spawnNode, waitForConfigEvent, type LogLine, type RunningNode } from '../helpers/signed-config-nodes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { pushAsNode } from '../helpers/push-as-node.js';
import type { Card } from '../../src/identity/types.js';

const NS = 'fleet';
const NAME = 'settings';

/**
 * Three real `pushmesh run` processes on 127.0.0.1 that know each other's
 * cards. The owner's key is none of theirs; every node trusts it for
 * namespace "fleet". Configs travel between the nodes as Web Push
 * messages over HTTPS (the mesh), and every receiver verifies them.
 */
describe('signed config across three nodes (real processes, HTTPS mesh)', { timeout: 180_000 }, () => {
  let dir: string;
  let ownerPem: string;
  let strangerPem: string;
  let ownerId: string;
  const nodes: RunningNode[] = [];
  const homes: string[] = [];
  const files: Record<string, string> = {};

  const post = async (node: RunningNode, jws: string, type = 'application/jose'): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${node.localUrl}/config`, { method: 'POST', headers: { 'content-type': type }, body: jws });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const sign = async (name: string, version: number, data: unknown, key = ownerPem): Promise<string> => {
    const dataFile = join(dir, `${name}.yaml`);
    const keyFile = join(dir, `${name}.key.pem`);
    await writeFile(dataFile, typeof data === 'string' ? data : JSON.stringify(data));
    await writeFile(keyFile, key, { mode: 0o600 });
    const jws = await pushmeshOk(['config', 'sign', '--key', keyFile, '--namespace', NS, '--name', NAME, '--version', String(version), dataFile]);
    files[name] = join(dir, `${name}.jws`);
    await writeFile(files[name], jws + '\n');
    return jws;
  };
  const refusedOn = (reason: string, source: string, from?: string) => (l: LogLine) =>
    l.msg === 'signed config refused' && l['reason'] === reason && l['source'] === source && (from === undefined || l['from'] === from);

  before(async () => {
    dir = await tempDir();
    ownerPem = pkcs8Pem(generatePrivateKey('p256'));
    strangerPem = pkcs8Pem(generatePrivateKey('p256'));
    await writeFile(join(dir, 'owner.pem'), ownerPem, { mode: 0o600 });
    // The owner's ID, as `pushmesh init --import-key` computes it for that key.
    ownerId = await pushmeshOk(['init', '--home', join(dir, 'owner-home'), '--import-key', join(dir, 'owner.pem')]);
    for (let i = 1; i <= 3; i++) {
      const home = join(dir, `node${i}`);
      homes.push(home);
      nodes.push(await spawnNode({ home, trust: [`${NS}=${ownerId}`] }));
    }
    // Every node learns the others' cards from their running local APIs (GET /id).
    for (const node of nodes) {
      for (const other of nodes) if (other !== node) assert.equal(await pushmeshOk(['peer', 'add', other.localUrl, '--home', node.home]), other.id);
    }
  });

  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    const { rm } = await import('node:fs/promises');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('owner signs v1 → published on node 1 → nodes 2 and 3 serve it (received over the mesh, verified)', async () => {
    const [n1, n2, n3] = nodes as [RunningNode, RunningNode, RunningNode];
    await sign('v0', 0, 'mode: old\n');
    const v1 = await sign('v1', 1, 'mode: new\nlimits:\n  rps: 50\n');
    const watch2 = waitForConfigEvent(n2.localUrl, NS, NAME, 1);
    const watch3 = waitForConfigEvent(n3.localUrl, NS, NAME, 1);
    for (const w of [watch2, watch3]) w.catch(() => undefined); // awaited below; no unhandled rejection if publishing fails first
    const out = await pushmeshOk(['config', 'publish', files['v1']!, '--local', n1.localUrl]);
    const published = JSON.parse(out) as { status: string; published: { mesh: { ok: boolean; sent: number } } };
    assert.equal(published.status, 'accepted');
    assert.deepEqual(published.published.mesh, { ok: true, sent: 2 });

    const expected = { namespace: NS, name: NAME, version: 1, data: { mode: 'new', limits: { rps: 50 } }, owner: ownerId };
    for (const view of [await watch2, await watch3]) assert.deepEqual(pick(view), expected);
    for (const node of nodes) {
      const res = await fetch(`${node.localUrl}/config/${NS}/${NAME}`);
      assert.equal(res.status, 200);
      assert.deepEqual(pick((await res.json()) as Record<string, unknown>), expected);
      const raw = await fetch(`${node.localUrl}/config/${NS}/${NAME}`, { headers: { accept: 'application/jose' } });
      assert.equal(await raw.text(), v1, 'the signed config itself, for anyone who wants to verify it again');
    }
    // Nodes 2 and 3 got it from the mesh (from node 1, or first from each other: the later copy is a duplicate).
    for (const [node, other] of [[n2, n3], [n3, n2]] as const) {
      const line = await node.waitForLog((l) => l.msg === 'signed config accepted' && l['source'] === 'mesh', 'accepting from the mesh');
      assert.ok([n1.id, other.id].includes(String(line['from'])));
    }
    assert.equal(await metricValue(n2.localUrl, 'pushmesh_config_accepted_total{source="mesh"}'), 1);
    assert.equal(await metricValue(n3.localUrl, 'pushmesh_config_accepted_total{source="mesh"}'), 1);
  });

  it('on the local API: a tampered payload, a wrong key and a v0 replay are refused with their reason and counted', async () => {
    const n1 = nodes[0]!;
    const v1 = (await (await fetch(`${n1.localUrl}/config/${NS}/${NAME}`, { headers: { accept: 'application/jose' } })).text()).trim();
    const [h, , s] = v1.split('.') as [string, string, string];
    const tampered = `${h}.${Buffer.from(JSON.stringify({ namespace: NS, name: NAME, version: 2, iat: 1, data: { mode: 'evil' } })).toString('base64url')}.${s}`;
    files['tampered'] = join(dir, 'tampered.jws');
    await writeFile(files['tampered'], tampered);
    const wrongKey = await sign('wrong', 5, 'mode: evil\n', strangerPem);
    const v0 = (await import('node:fs/promises')).readFile(files['v0']!, 'utf8');

    const cases = [
      { jws: tampered, status: 403, reason: 'bad_signature' },
      { jws: wrongKey, status: 403, reason: 'unknown_owner' },
      { jws: (await v0).trim(), status: 400, reason: 'rollback' },
      { jws: 'not.a.jws', status: 400, reason: 'malformed' },
    ];
    for (const c of cases) {
      const r = await post(n1, c.jws, 'text/plain');
      assert.equal(r.status, c.status, JSON.stringify(r.body));
      assert.deepEqual({ code: (r.body['error'] as Record<string, unknown>)['code'], reason: (r.body['error'] as Record<string, unknown>)['reason'] }, { code: 'ERR_CONFIG_REFUSED', reason: c.reason });
      assert.equal(await metricValue(n1.localUrl, `pushmesh_config_refused_total{reason="${c.reason}",source="local"}`), 1);
    }
    // The same through the CLI: one line, exit 1, no stack.
    const cli = await runPushmesh(['config', 'publish', files['tampered'], '--local', n1.localUrl]);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /^pushmesh: node refused the config: signed config refused \(bad_signature\): .*\n$/);
    assert.doesNotMatch(cli.stderr, STACK_FRAME);
    assert.equal(await metricValue(n1.localUrl, 'pushmesh_config_refused_total{reason="bad_signature",source="local"}'), 2);
    // A wrong content type is 415, an empty body 400.
    assert.equal((await post(n1, v1, 'application/json')).status, 415);
    assert.equal((await post(n1, '  ', 'text/plain')).status, 400);
    // Node 1 still serves v1.
    assert.equal(((await (await fetch(`${n1.localUrl}/config/${NS}/${NAME}`)).json()) as { version: number }).version, 1);
  });

  it('over the mesh: the same three sent by another node are refused by the receiver and counted (the pipe is not trusted)', async () => {
    const [, n2, n3] = nodes as [RunningNode, RunningNode, RunningNode];
    const read = (await import('node:fs/promises')).readFile;
    const payloads = { bad_signature: await read(files['tampered']!, 'utf8'), unknown_owner: await read(files['wrong']!, 'utf8'), rollback: await read(files['v0']!, 'utf8') };
    for (const [reason, jws] of Object.entries(payloads)) {
      // Node 3 sends it to node 2 as an ordinary message on the config topic, signed with its own key.
      const card = (await (await fetch(`${n2.localUrl}/id`)).json()) as Card;
      assert.equal(await pushAsNode(homes[2]!, card, 'pushmesh.config', { kind: 'text', value: jws.trim() }), 201);
      await n2.waitForLog(refusedOn(reason, 'mesh', n3.id), `node 2 refusing ${reason} from node 3`);
      assert.equal(await metricValue(n2.localUrl, `pushmesh_config_refused_total{reason="${reason}",source="mesh"}`), 1);
    }
    const view = (await (await fetch(`${n2.localUrl}/config/${NS}/${NAME}`)).json()) as { version: number; data: unknown };
    assert.deepEqual({ version: view.version, data: view.data }, { version: 1, data: { mode: 'new', limits: { rps: 50 } } });
  });

  it('a restarted node serves the latest good config from disk and still refuses the old one', async () => {
    const n2 = nodes[1]!;
    assert.equal(await n2.stop(), 0);
    const again = await spawnNode({ home: homes[1]!, trust: [`${NS}=${ownerId}`] });
    nodes[1] = again;
    const res = await fetch(`${again.localUrl}/config/${NS}/${NAME}`);
    assert.equal(res.status, 200);
    assert.deepEqual(pick((await res.json()) as Record<string, unknown>), { namespace: NS, name: NAME, version: 1, data: { mode: 'new', limits: { rps: 50 } }, owner: ownerId });
    const r = await post(again, (await (await import('node:fs/promises')).readFile(files['v0']!, 'utf8')).trim());
    assert.equal(r.status, 400);
    assert.equal((r.body['error'] as { reason: string }).reason, 'rollback');
    assert.equal((await fetch(`${again.localUrl}/config/${NS}/other`)).status, 404);
    assert.equal((await fetch(`${again.localUrl}/config/a.b/${NAME}`)).status, 400);
  });
});

function pick(view: Record<string, unknown>): Record<string, unknown> {
  const { namespace, name, version, data, owner } = view;
  return { namespace, name, version, data, owner };
}
