/**
 * MeshRouting's handling of route announcements (the `pushmesh.routes`
 * messages linked peers send): signed routes are learned, forged ones
 * are not, and any body at all is refused cleanly (property test).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { encodeRouteAnnouncement } from '../../src/routing/wire.js';
import { signAttachment } from '../../src/routing/attachment.js';
import { MeshRouting, ROUTES_TOPIC } from '../../src/routing/mesh-routing.js';
import type { Route } from '../../src/routing/types.js';
import type { Message } from '../../src/message/types.js';
import type { Link } from '../../src/transport/types.js';
import { makeNode } from '../message/nodes.js';

const HOUR = 3600 * 1000;
const logger = pino({ level: 'silent' });

function routing(self: ReturnType<typeof makeNode>, sent: Array<{ peer: string; data: unknown }> = []): MeshRouting {
  return new MeshRouting({
    self: self.id,
    key: { privateKey: self.privateKey, publicKey: self.publicKey },
    verifier: { verify: () => Promise.reject(new Error('not used')) },
    linkTo: () => undefined,
    sendToPeer: async (peer, _topic, data) => {
      sent.push({ peer, data });
    },
    hold: () => undefined,
    logger,
  });
}

const fakeLink = (id: string, direction: 'inbound' | 'outbound'): Link => ({ peer: { id }, direction }) as unknown as Link;

function announcement(from: string, routes: Route[]): Message {
  const data = { v: 1, announcement: encodeRouteAnnouncement({ routes, full: true, withdrawn: [] }).toString('base64') };
  return { id: 'x', from, to: '', topic: ROUTES_TOPIC, time: Date.now(), ttl: 600, urgency: 'high', meta: {}, data: { kind: 'json', value: data } };
}

describe('MeshRouting announcements', () => {
  it('learns a peer’s signed routes and its own attachment, and announces both upstream, extended', async () => {
    const [r1, r2, b, up] = [makeNode(), makeNode(), makeNode(), makeNode()];
    const sent: Array<{ peer: string; data: unknown }> = [];
    const m = routing(r1, sent);
    m.linkUp(fakeLink(r2.id, 'inbound'));
    // R2 tells R1: "I attach to you" and "B is behind me".
    const now = Date.now();
    m.onAnnouncement(announcement(r2.id, [{ chain: [signAttachment(r2, r1.id, now + HOUR)] }, { chain: [signAttachment(b, r2.id, now + HOUR)] }]));
    assert.deepEqual(m.table.lookup(b.id), { kind: 'announced', next: r2.id, hops: 2 });
    // R1 dials its upstream: it announces itself, R2 and B (B's chain extended with R2's attachment to R1).
    m.linkUp(fakeLink(up.id, 'outbound'));
    await new Promise((r) => setImmediate(r));
    const last = sent.at(-1)!;
    assert.equal(last.peer, up.id);
    const { decodeRouteAnnouncement } = await import('../../src/routing/wire.js');
    const ann = decodeRouteAnnouncement(Buffer.from((last.data as { announcement: string }).announcement, 'base64'));
    const chains = ann.routes.map((r) => r.chain.map((a) => `${a.node.slice(0, 4)}>${a.relay.slice(0, 4)}`).join(','));
    assert.deepEqual(chains.sort(), [`${r1.id.slice(0, 4)}>${up.id.slice(0, 4)}`, `${r2.id.slice(0, 4)}>${r1.id.slice(0, 4)}`, `${b.id.slice(0, 4)}>${r2.id.slice(0, 4)},${r2.id.slice(0, 4)}>${r1.id.slice(0, 4)}`].sort());
    m.close();
  });

  it('does not learn a node that attached to another relay, or a route from an unlinked node', () => {
    const [r1, r2, r3, b] = [makeNode(), makeNode(), makeNode(), makeNode()];
    const m = routing(r1);
    m.linkUp(fakeLink(r2.id, 'inbound'));
    const stolen = signAttachment(b, r3.id, Date.now() + HOUR); // B attached to R3, R2 replays it
    m.onAnnouncement(announcement(r2.id, [{ chain: [stolen] }]));
    assert.equal(m.table.lookup(b.id).kind, 'none');
    assert.throws(() => m.onAnnouncement(announcement(r3.id, [{ chain: [stolen] }])), /not linked/);
    assert.equal(m.table.lookup(b.id).kind, 'none');
    m.close();
  });

  it('any body is learned from or refused with an error, never anything else (property)', () => {
    const [r1, r2] = [makeNode(), makeNode()];
    const m = routing(r1);
    m.linkUp(fakeLink(r2.id, 'inbound'));
    const body = fc.oneof(
      fc.anything().map((value) => ({ kind: 'json' as const, value })),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ kind: 'json' as const, value: { v: 1, announcement: Buffer.from(bytes).toString('base64') } })),
      fc.string().map((value) => ({ kind: 'text' as const, value })),
    );
    fc.assert(
      fc.property(body, (data) => {
        const msg: Message = { id: 'x', from: r2.id, to: '', topic: ROUTES_TOPIC, time: 0, ttl: 600, urgency: 'normal', meta: {}, data };
        try {
          m.onAnnouncement(msg);
        } catch (err) {
          assert.ok(err instanceof Error);
        }
        // Nothing but R2's link is ever in the table: random bytes carry no valid signature.
        assert.deepEqual(m.table.list().map((r) => r.dest), [r2.id]);
      }),
      { numRuns: 500 },
    );
    m.close();
  });
});
