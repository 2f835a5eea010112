import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { resolveConfig } from '../../src/config/index.js';
import { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { MemoryConfigHub, signConfig } from '../../src/signed-config/index.js';
import { PeerStore } from '../../src/identity/index.js';
import { makeCard } from '../helpers/cards.js';
import { pushmeshError } from '../helpers/errors.js';
import { tempDir } from '../helpers/temp-dir.js';
import { makeOwner } from './fixtures.js';

async function startNode(home: string, trust: string[], hub?: MemoryConfigHub): Promise<{ node: PushmeshNode; url: string }> {
  const config = resolveConfig(home, [{ local: '127.0.0.1:0', https: 'off', grpc: 'off', trust }]);
  const node = await PushmeshNode.start(config, pino({ level: 'silent' }), hub ? { configChannels: [hub.channel()] } : {});
  return { node, url: `http://127.0.0.1:${node.addresses.local.port}` };
}

/** Reads SSE events from a response body as they come. */
async function* sseEvents(res: Response): AsyncGenerator<{ event: string; data: string }> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body!) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) yield { event, data };
    }
  }
}

describe('signed config on a node (in-process, real sockets)', { timeout: 60_000 }, () => {
  it('GET /config lists; an SSE stream gives the current state then each new version; draining ends it', async (t) => {
    const owner = makeOwner();
    const { node, url } = await startNode(await tempDir(t), [`app=${owner.id}`]);
    t.after(() => node.close());
    const post = (jws: string) => fetch(`${url}/config`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: jws });
    assert.equal((await post(await signConfig({ namespace: 'app', name: 'a', version: 1, data: 'A1' }, owner.privateKey))).status, 200);

    const res = await fetch(`${url}/config`, { headers: { accept: 'text/event-stream' } });
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const events = sseEvents(res);
    const first = await events.next();
    assert.deepEqual({ event: first.value?.event, data: (JSON.parse(first.value!.data) as { data: unknown }).data }, { event: 'config', data: 'A1' });

    assert.equal((await post(await signConfig({ namespace: 'app', name: 'b', version: 4, data: 'B4' }, owner.privateKey))).status, 200);
    const second = await events.next();
    const { namespace, name, version, data, owner: signer } = JSON.parse(second.value!.data) as Record<string, unknown>;
    assert.deepEqual({ namespace, name, version, data, signer }, { namespace: 'app', name: 'b', version: 4, data: 'B4', signer: owner.id });

    const list = (await (await fetch(`${url}/config`)).json()) as { configs: { name: string; version: number }[] };
    assert.deepEqual(list.configs.map((c) => `${c.name}@${c.version}`), ['a@1', 'b@4']);

    // Draining the node ends the stream (it would otherwise hold the drain up).
    const drained = node.drain();
    const rest: string[] = [];
    for await (const ev of events) rest.push(ev.event);
    await drained;
    assert.deepEqual(rest, ['end']);
  });

  it('a node given a config channel at start publishes to it and takes from it', async (t) => {
    const owner = makeOwner();
    const hub = new MemoryConfigHub();
    const a = await startNode(await tempDir(t), [`app=${owner.id}`], hub);
    const b = await startNode(await tempDir(t), [`app=${owner.id}`], hub);
    t.after(() => Promise.all([a.node.close(), b.node.close()]));
    const res = await fetch(`${a.url}/config`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: await signConfig({ namespace: 'app', name: 'x', version: 2, data: [1] }, owner.privateKey) });
    assert.deepEqual(((await res.json()) as { published: unknown }).published, { memory: { ok: true }, mesh: { ok: true, sent: 0 } });
    const stop = new AbortController();
    t.after(() => stop.abort());
    const stream = await fetch(`${b.url}/config/app/x`, { headers: { accept: 'text/event-stream' }, signal: stop.signal });
    const got = await sseEvents(stream).next();
    assert.equal((JSON.parse(got.value!.data) as { version: number }).version, 2);
  });

  it('a config too large for one Web Push message is kept and goes to the channels; the mesh reports why it could not carry it', async (t) => {
    const owner = makeOwner();
    const hub = new MemoryConfigHub();
    const home = await tempDir(t);
    const peer = makeCard('https://127.0.0.1:9');
    await new PeerStore(home).add(peer.card);
    const { node, url } = await startNode(home, [`app=${owner.id}`], hub);
    t.after(() => node.close());
    const big = await signConfig({ namespace: 'app', name: 'big', version: 1, data: 'x'.repeat(5000) }, owner.privateKey);
    const res = await fetch(`${url}/config`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: big });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; published: Record<string, { ok: boolean; sent?: number; error?: string }> };
    assert.equal(body.status, 'accepted');
    assert.deepEqual(body.published['memory'], { ok: true });
    assert.equal(body.published['mesh']?.ok, false);
    assert.equal(body.published['mesh']?.sent, 0);
    assert.match(body.published['mesh']?.error ?? '', /at most 3993 fit in one Web Push body/);
    assert.deepEqual(hub.published, [big]);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /^pushmesh_config_publish_errors_total\{channel="mesh"\} 1$/m);
  });

  it('a bad trust entry stops the node from starting, with one clear error', async (t) => {
    await assert.rejects(startNode(await tempDir(t), ['app=nobody']), pushmeshError('ERR_CONFIG', /trust app=nobody: not a node ID/));
    await assert.rejects(startNode(await tempDir(t), [`a.b=${makeOwner().id}`]), pushmeshError('ERR_CONFIG', /namespace "a\.b" must be/));
  });
});
