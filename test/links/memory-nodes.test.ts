/**
 * Several real nodes in one process, linked over the memory transport
 * (`--peer memory://<ID>@<name>`): the node is given its transports, the
 * memory one among them, and links, routes and delivers over it as over
 * any other. No sockets for the links (HTTPS and gRPC are off).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { Message } from '../../src/message/types.js';
import type { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { MemoryNetwork } from '../../src/transport/memory/memory-network.js';
import { memoryTransport } from '../../src/transport/memory/memory-transport.js';
import { builtinTransports } from '../../src/transport/registry.js';
import { introduce, published, startInProcessNode } from '../helpers/in-process-node.js';
import type { CleanupScope } from '../helpers/temp-dir.js';

const NOWHERE = 'https://127.0.0.1:9';

/** A node with the built-in transports and the memory one, listening at `address` on `net`, dialing `peers`. */
function memoryNode(scope: CleanupScope, net: MemoryNetwork, address: string, peers: string[] = []): Promise<PushmeshNode> {
  return startInProcessNode(scope, { https: null, grpc: null, advertise: NOWHERE, peers }, { transports: [...builtinTransports(), memoryTransport(net, { address })] });
}


const text = (m: Message): string => (m.data.kind === 'text' ? m.data.value : '');

describe('nodes linked over the memory transport', { timeout: 60_000 }, () => {
  it('A dials B (memory://B@b); messages go both ways over the link', async (t) => {
    const net = new MemoryNetwork();
    const b = await memoryNode(t, net, 'b');
    const a = await memoryNode(t, net, 'a', [`memory://${b.id}@b`]);
    await introduce(a, b); // sent before the link is up, a message waits in the outbox for it
    const atB = published(b, (m) => m.topic === 'hello');
    await a.send({ to: b.id, topic: 'hello', data: { kind: 'text', value: 'from A' }, ttl: 60, urgency: 'normal' });
    const m = await atB;
    assert.equal(m.from, a.id);
    assert.equal(text(m), 'from A');
    const link = a.peers().find((p) => p.id === b.id && p.connected);
    assert.equal(link?.transport, 'memory', 'A lists its link to B as a memory link');
    // B answers over the link A dialed.
    const atA = published(a, (x) => x.topic === 'hello');
    await b.send({ to: a.id, topic: 'hello', data: { kind: 'text', value: 'from B' }, ttl: 60, urgency: 'normal' });
    assert.equal(text(await atA), 'from B');
  });

  it('A → R → B: A and B dial the relay R; A reaches R directly and B through R, in order', async (t) => {
    const net = new MemoryNetwork();
    const r = await memoryNode(t, net, 'r');
    const rUrl = `memory://${r.id}@r`;
    const a = await memoryNode(t, net, 'a', [rUrl]);
    const b = await memoryNode(t, net, 'b', [rUrl]);
    await introduce(a, b); // A seals for B with B's card

    const atR = published(r, (m) => m.topic === 'to-r');
    await a.send({ to: r.id, topic: 'to-r', data: { kind: 'text', value: 'hi R' }, ttl: 60, urgency: 'normal' });
    assert.equal((await atR).from, a.id);

    const got: string[] = [];
    const COUNT = 20;
    const allAtB = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`B got ${got.length} of ${COUNT} messages through R`)), 30_000);
      b.bus.on('published', (ev) => {
        if (ev.message.topic !== 'through-r' || ev.message.from !== a.id) return;
        got.push(text(ev.message));
        if (got.length === COUNT) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    // B's link to R may come up after A's: the outbox retries until R knows the way (no_route until then).
    for (let i = 0; i < COUNT; i++) await a.send({ to: b.id, topic: 'through-r', data: { kind: 'text', value: String(i) }, ttl: 600, urgency: 'normal' });
    await allAtB;
    assert.deepEqual(got, Array.from({ length: COUNT }, (_, i) => String(i)), 'each once, in order');
    assert.equal(a.peers().find((p) => p.id === b.id && p.connected), undefined, 'A has no link to B: the messages went through R');
  });

  it('a memory address taken by a running node cannot be taken again', async (t) => {
    const net = new MemoryNetwork();
    await memoryNode(t, net, 'x');
    await assert.rejects(memoryNode(t, net, 'x'), (err: Error & { code?: string }) => err.code === 'ERR_LISTEN' && /already in use/.test(err.message));
  });
});
