/**
 * Reloading a running node (src/node/reload.ts, `node.reload`): live
 * settings are applied, others reported as needing a restart, and a
 * failure (a bad trust entry, an unreadable CA file) changes nothing. The
 * log level of a reloadable logger reaches the children made before.
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { defaultConfig } from '../../src/config/index.js';
import { reloadableLogger, setLogLevel } from '../../src/node/log-level.js';
import { changedSettings } from '../../src/node/reload.js';
import { signConfig } from '../../src/signed-config/sign.js';
import { makeOwner } from '../signed-config/fixtures.js';
import { startInProcessNode } from '../helpers/in-process-node.js';

const OWNER = 'a'.repeat(52);

async function reloadCounts(text: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^pushmesh_config_reloads_total\{result="(\w+)"\} (\d+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

describe('reloading a running node', () => {
  it('changedSettings: live settings apart, every other changed top-level setting needs a restart, acceptStoreLoss ignored', () => {
    const a = defaultConfig('/h');
    const b = { ...defaultConfig('/h'), trust: { app: [OWNER] }, logLevel: 'debug' as const, limits: { ...a.limits, maxTtl: 5 }, peers: ['grpcs://x:1'], acceptStoreLoss: true };
    assert.deepEqual(changedSettings(a, b), { live: ['logLevel', 'trust'], restart: ['limits', 'peers'] });
    assert.deepEqual(changedSettings(a, defaultConfig('/h')), { live: [], restart: [] });
  });

  it('node.reload: applies trust, trust CA and log level; a broken setting changes nothing; counted by result', async (t) => {
    const node = await startInProcessNode(t);
    const metrics = async () => reloadCounts(await node.metrics.registry.metrics());
    assert.deepEqual(await metrics(), { ok: 0, partial: 0, error: 0 });

    const ok = await node.reload(() => ({ ...node.config, trust: { app: [OWNER] }, trustCa: join(node.config.home, 'cert.pem'), logLevel: 'warn' }));
    assert.deepEqual(ok, { result: 'ok', applied: ['logLevel', 'trust', 'trustCa'], needRestart: [] });
    assert.deepEqual(node.config.trust, { app: [OWNER] });
    assert.equal(node.config.logLevel, 'warn');

    const before = structuredClone({ trust: node.config.trust, trustCa: node.config.trustCa });
    const badCa = await node.reload(() => ({ ...node.config, trust: { other: [OWNER] }, trustCa: join(node.config.home, 'no-such-ca.pem') }));
    assert.equal(badCa.result, 'error');
    assert.match(badCa.error!, /cannot read the trust CA file .*no-such-ca\.pem: ENOENT/);
    const badTrust = await node.reload(() => ({ ...node.config, trust: { app: ['not-a-node-id'] } }));
    assert.equal(badTrust.result, 'error');
    assert.match(badTrust.error!, /trust app=not-a-node-id/);
    const thrown = await node.reload(() => Promise.reject(new Error('file gone')));
    assert.deepEqual(thrown, { result: 'error', applied: [], needRestart: [], error: 'file gone' });
    assert.deepEqual({ trust: node.config.trust, trustCa: node.config.trustCa }, before, 'nothing changed');

    const partial = await node.reload(() => ({ ...node.config, limits: { ...node.config.limits, maxTtl: 60 } }));
    assert.deepEqual(partial, { result: 'partial', applied: [], needRestart: ['limits'] });
    assert.notEqual(node.config.limits.maxTtl, 60, 'a restart-only setting keeps its running value');
    assert.deepEqual(await metrics(), { ok: 1, partial: 1, error: 3 });

    await node.drain();
    assert.equal((await node.reload(() => node.config)).error, 'the node is stopping');
  });

  it('a new trust list: configs are checked under it, kept ones of an owner no longer trusted are forgotten', async (t) => {
    const [alice, bob] = [makeOwner(), makeOwner()];
    const node = await startInProcessNode(t, { trust: { app: [alice.id] } });
    const byAlice = await signConfig({ namespace: 'app', name: 'settings', version: 1, data: { from: 'alice' } }, alice.privateKey);
    const byBob = await signConfig({ namespace: 'app', name: 'other', version: 1, data: { from: 'bob' } }, bob.privateKey);
    assert.equal((await node.signedConfig.submit(byAlice)).status, 'accepted');
    await assert.rejects(node.signedConfig.submit(byBob), /not trusted|owner/i);

    const r = await node.reload(() => ({ ...node.config, trust: { app: [bob.id] } }));
    assert.deepEqual(r.applied, ['trust']);
    assert.equal(node.signedConfig.get('app', 'settings'), undefined, "alice's config is forgotten");
    assert.equal((await node.signedConfig.submit(byBob)).status, 'accepted');
    assert.deepEqual(node.signedConfig.list().map((v) => v.name), ['other']);
  });

  it('reloadableLogger: a new level reaches the children made before it', () => {
    const lines: Array<{ msg: string; level: number }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as { msg: string; level: number });
        done();
      },
    });
    const root = reloadableLogger('info', {}, sink);
    const child = root.child({ component: 'x' });
    child.debug('hidden');
    child.info('shown');
    assert.equal(setLogLevel(root, 'debug'), true);
    child.debug('now shown');
    setLogLevel(root, 'silent');
    child.error('silent drops everything');
    root.fatal('even this');
    assert.deepEqual(lines.map((l) => l.msg), ['shown', 'now shown']);
  });
});
