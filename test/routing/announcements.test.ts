/**
 * Route announcements at scale: a relay with more nodes behind it than fit
 * in one message announces them in parts (each sealed here as a real
 * pushmesh message, so each provably fits one Web Push body), then only
 * what changes; a receiver that missed a change asks for everything again.
 * Two MeshRouting instances, R2 (relay, 30+ nodes attached) and its
 * upstream R1, talk through the real seal/open path.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { newMessageId } from '../../src/message/message-id.js';
import { openMessage } from '../message/open.js';
import { sealMessage } from '../../src/message/seal.js';
import type { Message } from '../../src/message/types.js';
import { decodeRouteAnnouncement, encodeRouteAnnouncement } from '../../src/routing/wire.js';
import { AnnouncementAssembler } from '../../src/routing/announcement-assembler.js';
import { Announcer } from '../../src/routing/announcer.js';
import { signAttachment } from '../../src/routing/attachment.js';
import { MeshRouting, ROUTES_TOPIC } from '../../src/routing/mesh-routing.js';
import type { Route, RouteAnnouncement } from '../../src/routing/types.js';
import type { Link } from '../../src/transport/types.js';
import { makeNode, type TestNode } from '../message/nodes.js';

const HOUR = 3600 * 1000;
const logger = pino({ level: 'silent' });
const fakeLink = (id: string, direction: 'inbound' | 'outbound'): Link => ({ peer: { id }, direction }) as unknown as Link;

function routesMessage(from: string, to: string, ann: RouteAnnouncement): Message {
  const data = { v: 1, announcement: encodeRouteAnnouncement(ann).toString('base64') };
  return { id: newMessageId(), from, to, topic: ROUTES_TOPIC, time: Date.now(), ttl: 600, urgency: 'high', meta: {}, data: { kind: 'json', value: data } };
}

/** R2 (a relay) announcing to R1 through real sealed messages; `drop` loses R2 → R1 messages while it answers true. */
function pair(): {
  r1: MeshRouting;
  r2: MeshRouting;
  nodes: { r1: TestNode; r2: TestNode };
  toR1: RouteAnnouncement[];
  settled: (pred: () => boolean) => Promise<void>;
  drop: { next: number };
} {
  const n1 = makeNode();
  const n2 = makeNode();
  const toR1: RouteAnnouncement[] = [];
  const waiters = new Set<() => void>();
  const drop = { next: 0 };
  const deliver = async (from: TestNode, to: TestNode, target: () => MeshRouting, value: unknown): Promise<void> => {
    const msg: Message = { id: newMessageId(), from: from.id, to: to.id, topic: ROUTES_TOPIC, time: Date.now(), ttl: 600, urgency: 'high', meta: {}, data: { kind: 'json', value } };
    const wire = await sealMessage(msg, to.card, from.signer, { senderMac: from.mac }); // throws ERR_PAYLOAD_TOO_LARGE if a part does not fit
    const opened = await openMessage(wire, to.receiver);
    if (to === n1) {
      toR1.push(decodeRouteAnnouncement(Buffer.from((value as { announcement: string }).announcement, 'base64')));
      if (drop.next > 0) {
        drop.next--;
        for (const w of [...waiters]) w();
        return;
      }
    }
    target().onAnnouncement(opened);
    for (const w of [...waiters]) w();
  };
  const make = (self: TestNode, peer: TestNode, target: () => MeshRouting): MeshRouting =>
    new MeshRouting({
      self: self.id,
      key: { privateKey: self.privateKey, publicKey: self.publicKey },
      verifier: { verify: () => Promise.reject(new Error('not used')) },
      linkTo: () => undefined,
      sendToPeer: (to, _topic, value) => {
        assert.equal(to, peer.id);
        return deliver(self, peer, target, value);
      },
      hold: () => undefined,
      logger,
    });
  const r1: MeshRouting = make(n1, n2, () => r2);
  const r2: MeshRouting = make(n2, n1, () => r1);
  const settled = (pred: () => boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error('announcements did not settle within 10 s'));
      }, 10_000);
      const check = (): void => {
        if (!pred()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  return { r1, r2, nodes: { r1: n1, r2: n2 }, toR1, settled, drop };
}

/** Node `b` attaches to relay `relay` (its link is up and it announced its attachment). */
function attach(relay: MeshRouting, relayId: string, b: TestNode, withAttachment = true): void {
  relay.linkUp(fakeLink(b.id, 'inbound'));
  const routes: Route[] = withAttachment ? [{ chain: [signAttachment(b, relayId, Date.now() + HOUR)] }] : [];
  relay.onAnnouncement(routesMessage(b.id, relayId, { routes, full: true, withdrawn: [] }));
}

describe('route announcements in parts, then only changes', () => {
  it('30 nodes behind R2 reach R1 in several parts; one more is one small change; a withdrawal travels; a lost change makes R1 ask for all', { timeout: 60_000 }, async () => {
    const { r1, r2, nodes, toR1, settled, drop } = pair();
    try {
      r1.linkUp(fakeLink(nodes.r2.id, 'inbound'));
      const devices = Array.from({ length: 30 }, () => makeNode());
      for (const d of devices) attach(r2, nodes.r2.id, d);
      r2.linkUp(fakeLink(nodes.r1.id, 'outbound')); // R2 dials R1: full announcement
      const known = (d: TestNode): boolean => r1.table.lookup(d.id).kind === 'announced';
      await settled(() => devices.every(known));
      for (const d of devices) assert.deepEqual(r1.table.lookup(d.id), { kind: 'announced', next: nodes.r2.id, hops: 2 });
      const first = toR1.filter((a) => a.full);
      assert.ok(first.length >= 3, `30 attachments need several parts (got ${first.length})`);
      assert.ok(first.every((a) => a.generation === first[0]!.generation && a.parts === first.length));

      // One more device: a change of one route, not everything again.
      const sentBefore = toR1.length;
      const extra = makeNode();
      attach(r2, nodes.r2.id, extra);
      await settled(() => known(extra));
      const change = toR1.slice(sentBefore);
      assert.equal(change.length, 1);
      assert.equal(change[0]!.full, false);
      assert.deepEqual(change[0]!.routes.map((r) => r.chain[0]!.node), [extra.id]);
      assert.equal(change[0]!.base, first[0]!.generation);

      // A device stops attaching to R2 (its announcement no longer carries its attachment): withdrawn at R1.
      const leaving = devices[4]!;
      r2.onAnnouncement(routesMessage(leaving.id, nodes.r2.id, { routes: [], full: true, withdrawn: [] }));
      await settled(() => !known(leaving));
      assert.deepEqual(toR1.at(-1)!.withdrawn, [leaving.id]);
      assert.equal(r1.table.lookup(leaving.id).kind, 'none');

      // A change R1 never gets: the next change does not apply to what R1 has, so R1 asks for everything and gets it.
      drop.next = 1;
      const before = toR1.length;
      const lost = makeNode();
      attach(r2, nodes.r2.id, lost);
      await settled(() => toR1.length > before); // sent, and lost on the way
      assert.equal(known(lost), false);
      const later = makeNode();
      attach(r2, nodes.r2.id, later);
      await settled(() => known(later) && known(lost));
      const after = toR1.slice(before);
      assert.ok(after.some((a) => !a.full), 'the change R1 could not apply');
      assert.ok(after.some((a) => a.full), 'the full announcement R1 asked for');
      assert.equal(r1.table.lookup(leaving.id).kind, 'none', 'the withdrawn device stays withdrawn');
    } finally {
      r1.close();
      r2.close();
    }
  });
});

describe('Announcer / AnnouncementAssembler', () => {
  const relay = makeNode();
  const routes = Array.from({ length: 25 }, () => ({ chain: [signAttachment(makeNode(), relay.id, Date.now() + HOUR)] }));

  it('parts in any order, with duplicates, put back together give exactly the routes sent (property)', async () => {
    const sent: RouteAnnouncement[] = [];
    const announcer = new Announcer({ send: async (_p, a) => void sent.push(a) });
    await announcer.announce('up', routes, 'full');
    assert.ok(sent.length > 1);
    fc.assert(
      fc.property(fc.shuffledSubarray(sent, { minLength: sent.length, maxLength: sent.length }), fc.array(fc.nat(sent.length - 1), { maxLength: 3 }), (order, dups) => {
        const asm = new AnnouncementAssembler();
        const results = [...order, ...dups.map((i) => sent[i]!)].map((p) => asm.add('r', decodeRouteAnnouncement(encodeRouteAnnouncement(p))));
        const applied = results.filter((r) => r.kind === 'apply');
        assert.equal(applied.length, 1);
        assert.equal(results.at(-1 - dups.length)!.kind, 'apply', 'applied when the last missing part arrives');
        const got = (applied[0] as { ann: RouteAnnouncement }).ann.routes.map((r) => r.chain[0]!.node);
        assert.deepEqual(got.sort(), routes.map((r) => r.chain[0]!.node).sort());
      }),
      { numRuns: 50 },
    );
  });

  it('an older generation, or changes to a generation not applied, are not applied', async () => {
    const sent: RouteAnnouncement[] = [];
    let now = 1_000;
    const announcer = new Announcer({ send: async (_p, a) => void sent.push(a), now: () => now });
    await announcer.announce('up', routes.slice(0, 3), 'full');
    now++;
    await announcer.announce('up', routes.slice(0, 4), 'changes');
    assert.equal(sent.length, 2);
    const asm = new AnnouncementAssembler();
    assert.equal(asm.add('r', sent[1]!).kind, 'resync', 'a change to a generation it does not have');
    assert.equal(asm.add('r', sent[0]!).kind, 'apply');
    assert.equal(asm.add('r', sent[0]!).kind, 'stale');
    assert.equal(asm.add('r', sent[1]!).kind, 'apply');
    assert.equal(await announcer.announce('up', routes.slice(0, 4), 'changes'), 0, 'nothing changed: nothing sent');
  });
});
