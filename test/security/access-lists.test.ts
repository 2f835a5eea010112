/**
 * peers.deny and peers.allow apply to every inbound path by the proved
 * sender, not only to who may hold a link (real nodes on 127.0.0.1):
 * a denied node's message is refused at the destination whether it comes
 * over HTTPS Web Push or through a relay the destination trusts, and the
 * sender learns it (its status becomes `rejected`, reason `unauthorized`).
 */
import { strict as assert } from 'node:assert';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PeerStore } from '../../src/identity/index.js';
import type { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { localUrl, startInProcessNode } from '../helpers/in-process-node.js';
import { postMessage } from '../helpers/local-api.js';
import { tempHome } from '../helpers/temp-dir.js';

/** Resolves with the final delivery status of `id` as the sender's apps see it (`pushmesh.status`). */
function finalStatus(node: PushmeshNode, id: string, ms = 30_000): Promise<Record<string, unknown>> {
  const now = node.deliveryStatus(id);
  if (now && now.state !== 'queued' && now.state !== 'sent') return Promise.resolve({ ...now });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no final status for ${id}: ${JSON.stringify(node.deliveryStatus(id))}`)), ms);
    const on = (ev: { message: { topic: string; data: { kind: string; value?: unknown } } }): void => {
      const v = ev.message.data.value as Record<string, unknown> | undefined;
      if (ev.message.topic !== 'pushmesh.status' || v?.['id'] !== id) return;
      clearTimeout(timer);
      node.bus.off('published', on as never);
      resolve(v);
    };
    node.bus.on('published', on as never);
  });
}

/** Resolves with the next app message on `node` for which `match` holds. */
function appMessage(node: PushmeshNode, match: (data: unknown) => boolean, ms = 30_000): Promise<{ from: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no such message')), ms);
    const on = (ev: { message: { from: string; data: { value?: unknown } } }): void => {
      if (!match(ev.message.data.value)) return;
      clearTimeout(timer);
      node.bus.off('published', on as never);
      resolve(ev.message);
    };
    node.bus.on('published', on as never);
  });
}

async function send(from: PushmeshNode, to: PushmeshNode, data: unknown, via?: PushmeshNode): Promise<string> {
  const r = await postMessage(localUrl(from), 'chat', { to: to.id, ...(via ? { via: via.id } : {}) }, data);
  assert.equal(r.status, 202, JSON.stringify(r.json));
  return r.json['id'] as string;
}

describe('access lists on every inbound path, by the proved sender', { timeout: 120_000 }, () => {
  it('peers.deny: refused over HTTPS and through a relay the destination trusts (the sender sees rejected/unauthorized); others get through', async (t) => {
    const r = await startInProcessNode(t, { grpc: { host: '127.0.0.1', port: 0 } });
    const rUrl = `grpcs://${r.id}@127.0.0.1:${r.addresses.grpc!.port}`;
    const [x, w, y] = await Promise.all([startInProcessNode(t, { peers: [rUrl] }), startInProcessNode(t), startInProcessNode(t)]);
    const zHome = await tempHome(t);
    await mkdir(zHome, { recursive: true, mode: 0o700 });
    await writeFile(join(zHome, 'peers.deny'), `${x.id}  # through the relay\n${w.id}  # over HTTPS\n`);
    const z = await startInProcessNode(t, { home: zHome, peers: [rUrl] });
    for (const s of [x, w, y]) {
      await new PeerStore(s.config.home).add(z.card());
      await s.refreshPeers();
    }
    const viaRelay = await send(x, z, { denied: 'relay' }); // X's upstream is R: R forwards to Z, which is attached to it
    const overHttps = await send(w, z, { denied: 'https' });
    const allowed = send(y, z, { allowed: true });
    const got = await appMessage(z, (d) => (d as { allowed?: boolean } | undefined)?.allowed === true);
    await allowed;
    assert.equal(got.from, y.id);
    for (const [node, id] of [[x, viaRelay], [w, overHttps]] as const) {
      const st = await finalStatus(node, id);
      assert.equal(st['state'], 'rejected');
      assert.equal(st['reason'], 'unauthorized');
    }
  });

  it('peers.allow: only listed senders reach the apps, over HTTPS', async (t) => {
    const [v, y] = await Promise.all([startInProcessNode(t), startInProcessNode(t)]);
    const zHome = await tempHome(t);
    await mkdir(zHome, { recursive: true, mode: 0o700 });
    await writeFile(join(zHome, 'peers.allow'), `${v.id}\n`);
    const z = await startInProcessNode(t, { home: zHome });
    for (const s of [v, y]) {
      await new PeerStore(s.config.home).add(z.card());
      await s.refreshPeers();
    }
    const refused = await send(y, z, { listed: false });
    const st = await finalStatus(y, refused);
    assert.equal(st['state'], 'rejected');
    assert.equal(st['reason'], 'unauthorized');
    await send(v, z, { listed: true });
    const got = await appMessage(z, (d) => (d as { listed?: boolean } | undefined)?.listed === true);
    assert.equal(got.from, v.id);
  });
});
