import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ConfigRefusedError, MemoryConfigHub, signConfig, type ConfigView } from '../../src/signed-config/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { b64json, makeOwner } from './fixtures.js';
import { counter, counterReaches, startService, stopService, TestMesh, updated, type TestService } from './service-harness.js';

const REFUSED = 'pushmesh_config_refused_total';
const ACCEPTED = 'pushmesh_config_accepted_total';

describe('SignedConfigService', { timeout: 60_000 }, () => {
  it('owner signs v1 → every service on the hub keeps it; tampered, wrong key and v0 replay are refused and counted', async (t) => {
    const owner = makeOwner();
    const hub = new MemoryConfigHub();
    const trust = { app: [owner.id] };
    const nodes: TestService[] = [];
    for (let i = 0; i < 3; i++) nodes.push(await startService({ home: await tempDir(t), trust, channels: [hub.channel('memory')] }));
    t.after(() => Promise.all(nodes.map(stopService)));
    const [a, b, c] = nodes as [TestService, TestService, TestService];

    const v0 = await signConfig({ namespace: 'app', name: 'settings', version: 0, data: { mode: 'old' } }, owner.privateKey);
    const v1 = await signConfig({ namespace: 'app', name: 'settings', version: 1, data: { mode: 'new' } }, owner.privateKey);
    assert.equal((await a.service.submit(v0)).status, 'accepted');
    const r = await a.service.submit(v1);
    assert.equal(r.status, 'accepted');
    assert.deepEqual(r.published, { memory: { ok: true } });
    await Promise.all([updated(b, 'app', 'settings', 1), updated(c, 'app', 'settings', 1)]);
    for (const n of nodes) {
      const got = n.service.get('app', 'settings');
      assert.deepEqual({ ...got?.view, acceptedAt: 0 }, { namespace: 'app', name: 'settings', version: 1, data: { mode: 'new' }, owner: owner.id, iat: got?.view.iat, encrypted: false, readable: true, acceptedAt: 0 });
      assert.equal(got?.jws, v1);
    }

    // Through the pipe: a tampered payload, another key, and the old v0 again.
    const [h, , s] = v1.split('.') as [string, string, string];
    const tampered = `${h}.${b64json({ namespace: 'app', name: 'settings', version: 2, iat: 1, data: { mode: 'evil' } })}.${s}`;
    const wrongKey = await signConfig({ namespace: 'app', name: 'settings', version: 9, data: { mode: 'evil' } }, makeOwner().privateKey);
    const attacker = hub.channel('memory');
    for (const jws of [tampered, wrongKey, v0]) await attacker.publish(jws);
    for (const n of [b, c]) {
      await counterReaches(n.registry, REFUSED, { reason: 'bad_signature', source: 'memory' }, 1);
      await counterReaches(n.registry, REFUSED, { reason: 'unknown_owner', source: 'memory' }, 1);
      await counterReaches(n.registry, REFUSED, { reason: 'rollback', source: 'memory' }, 1);
      assert.equal(n.service.get('app', 'settings')?.view.version, 1, 'still v1');
      assert.deepEqual(n.service.get('app', 'settings')?.view.data, { mode: 'new' });
    }
    // Locally: each refusal is a typed error with its reason.
    for (const [jws, reason] of [[tampered, 'bad_signature'], [wrongKey, 'unknown_owner'], [v0, 'rollback'], ['junk', 'malformed']] as const) {
      await assert.rejects(a.service.submit(jws), (e: unknown) => e instanceof ConfigRefusedError && e.reason === reason);
      assert.equal(await counter(a.registry, REFUSED, { reason, source: 'local' }), 1);
    }
    // The owner posting v1 again is a duplicate, not an error.
    assert.equal((await a.service.submit(v1)).status, 'duplicate');
    assert.equal(await counter(a.registry, ACCEPTED, { source: 'local' }), 2);
  });

  it('a service started later gets the latest config from the channel; a restart keeps it from disk', async (t) => {
    const owner = makeOwner();
    const hub = new MemoryConfigHub();
    const trust = { app: [owner.id] };
    const a = await startService({ home: await tempDir(t), trust, channels: [hub.channel()] });
    t.after(() => stopService(a));
    for (const version of [1, 2]) await a.service.submit(await signConfig({ namespace: 'app', name: 'x', version, data: version }, owner.privateKey));

    const home = await tempDir(t);
    const late = await startService({ home, trust, channels: [hub.channel()] });
    await updated(late, 'app', 'x', 2);
    assert.equal(late.service.get('app', 'x')?.view.data, 2);
    await stopService(late);

    // Restarted without any channel: still serves v2, still refuses v1.
    const again = await startService({ home, trust });
    t.after(() => stopService(again));
    assert.equal(again.service.get('app', 'x')?.view.version, 2);
    await assert.rejects(again.service.submit(await signConfig({ namespace: 'app', name: 'x', version: 1, data: 1 }, owner.privateKey)), { reason: 'rollback' });
  });

  it('a kept config whose owner is no longer trusted is forgotten at start', async (t) => {
    const owner = makeOwner();
    const home = await tempDir(t);
    const first = await startService({ home, trust: { app: [owner.id] } });
    await first.service.submit(await signConfig({ namespace: 'app', name: 'x', version: 1, data: 1 }, owner.privateKey));
    await stopService(first);
    const second = await startService({ home, trust: { app: [makeOwner().id] } });
    t.after(() => stopService(second));
    assert.equal(second.service.get('app', 'x'), undefined);
    assert.equal(await counter(second.registry, REFUSED, { reason: 'unknown_owner', source: 'store' }), 1);
  });

  it('over the mesh: a config spreads hop by hop (A knows B, B knows C), never back to its sender', async (t) => {
    const owner = makeOwner();
    const mesh = new TestMesh();
    const trust = { app: [owner.id] };
    const [a, b, c] = [
      await startService({ home: await tempDir(t), trust, mesh }),
      await startService({ home: await tempDir(t), trust, mesh }),
      await startService({ home: await tempDir(t), trust, mesh }),
    ];
    t.after(() => Promise.all([a, b, c].map(stopService)));
    mesh.link(a.node.id, b.node.id);
    mesh.link(b.node.id, a.node.id);
    mesh.link(b.node.id, c.node.id);
    const res = await a.service.submit(await signConfig({ namespace: 'app', name: 'm', version: 1, data: 'hi' }, owner.privateKey));
    assert.deepEqual(res.published, { mesh: { ok: true, sent: 1 } });
    await updated(c, 'app', 'm', 1);
    assert.equal(c.service.get('app', 'm')?.view.data, 'hi');
    assert.equal(await counter(c.registry, ACCEPTED, { source: 'mesh' }), 1);
    // B forwarded to C only (not back to A, its sender); C knows nobody.
    assert.deepEqual(mesh.sent.map((s) => `${s.from.slice(0, 4)}>${s.to.slice(0, 4)}`), [`${a.node.id.slice(0, 4)}>${b.node.id.slice(0, 4)}`, `${b.node.id.slice(0, 4)}>${c.node.id.slice(0, 4)}`]);
  });

  it('encrypted to B: B reads the data, C keeps and passes it on but cannot read it', async (t) => {
    const owner = makeOwner();
    const hub = new MemoryConfigHub();
    const trust = { app: [owner.id] };
    const b = await startService({ home: await tempDir(t), trust, channels: [hub.channel()] });
    const c = await startService({ home: await tempDir(t), trust, channels: [hub.channel()] });
    t.after(() => Promise.all([b, c].map(stopService)));
    const jws = await signConfig({ namespace: 'app', name: 'secret', version: 1, data: { token: 's3cr3t' }, encryptTo: [b.node.card] }, owner.privateKey);
    await hub.channel().publish(jws);
    await Promise.all([updated(b, 'app', 'secret', 1), updated(c, 'app', 'secret', 1)]);
    const seen = (s: TestService): Partial<ConfigView> => {
      const v = s.service.get('app', 'secret')!.view;
      return { data: v.data, encrypted: v.encrypted, readable: v.readable };
    };
    assert.deepEqual(seen(b), { data: { token: 's3cr3t' }, encrypted: true, readable: true });
    assert.deepEqual(seen(c), { data: null, encrypted: true, readable: false });
  });

  it('a flood from a pipe is bounded: beyond maxPending, configs are dropped and counted as overloaded', async (t) => {
    const owner = makeOwner();
    const hub = new MemoryConfigHub();
    const s = await startService({ home: await tempDir(t), trust: { app: [owner.id] }, channels: [hub.channel('flood')], maxPending: 5 });
    t.after(() => stopService(s));
    const ch = hub.channel('flood');
    const configs = await Promise.all(Array.from({ length: 50 }, (_, i) => signConfig({ namespace: 'app', name: `n${i}`, version: 1, data: i }, owner.privateKey)));
    for (const jws of configs) await ch.publish(jws);
    await counterReaches(s.registry, REFUSED, { reason: 'overloaded', source: 'flood' }, 1);
    const accepted = await counter(s.registry, ACCEPTED, { source: 'flood' });
    const dropped = await counter(s.registry, REFUSED, { reason: 'overloaded', source: 'flood' });
    await counterReaches(s.registry, ACCEPTED, { source: 'flood' }, 50 - dropped);
    assert.ok(accepted <= 50 - dropped);
    assert.equal(s.service.list().length, 50 - dropped);
  });
});
