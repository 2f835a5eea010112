import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isPushmeshError } from '../../src/errors/index.js';
import { newMessageId, type WebpushMessage } from '../../src/message/index.js';
import { decodeRouteAnnouncement, encodeRouteAnnouncement } from '../../src/routing/wire.js';
import { signAttachment, verifyAttachment, verifyRoute } from '../../src/routing/attachment.js';
import { RouteTable } from '../../src/routing/route-table.js';
import { Router } from '../../src/routing/router.js';
import { makeNode } from '../message/nodes.js';

const [a, b, r1, r2, r3] = [makeNode(), makeNode(), makeNode(), makeNode(), makeNode()];
const NOW = 1_800_000_000_000;
const HOUR = 3600_000;
const isCode = (code: string) => (e: unknown) => isPushmeshError(e) && e.code === code;

function wire(overrides: Partial<WebpushMessage> = {}): WebpushMessage {
  return { id: newMessageId(), from: a.id, to: b.id, ttl: 60, urgency: 'normal', replace: '', time: NOW, path: [], via: [], hopLimit: 8, receipt: false, authorization: 'vapid t=x, k=y', body: new Uint8Array(103), ...overrides };
}

describe('signed attachments and routes', () => {
  it('a chain B→R2→R1 announced by R1 verifies; its destination, hops and expiry come out', () => {
    const route = { chain: [signAttachment(b, r2.id, NOW + HOUR), signAttachment(r2, r1.id, NOW + 2 * HOUR)] };
    assert.deepEqual(verifyRoute(route, r1.id, a.id, NOW), { dest: b.id, hops: 3, expires: NOW + HOUR });
  });

  it('a relay cannot claim a node that did not attach to it', () => {
    // R3 replays B's attachment to R2 as if B sat behind R3.
    const stolen = signAttachment(b, r2.id, NOW + HOUR);
    assert.throws(() => verifyRoute({ chain: [stolen] }, r3.id, a.id, NOW), isCode('ERR_BAD_SIGNATURE'));
    // Or rewrites the relay: the signature breaks.
    assert.throws(() => verifyRoute({ chain: [{ ...stolen, relay: r3.id }] }, r3.id, a.id, NOW), isCode('ERR_BAD_SIGNATURE'));
    // Or signs for B with its own key: the key is not B's.
    const own = signAttachment(r3, r3.id, NOW + HOUR);
    assert.throws(() => verifyRoute({ chain: [{ ...own, node: b.id }] }, r3.id, a.id, NOW), isCode('ERR_BAD_SIGNATURE'));
  });

  it('refuses expired, too long-lived, disconnected and looping chains', () => {
    assert.throws(() => verifyAttachment(signAttachment(b, r2.id, NOW - 1), NOW), /expired/);
    assert.throws(() => verifyAttachment(signAttachment(b, r2.id, NOW + 48 * HOUR), NOW), /too long/);
    const gap = { chain: [signAttachment(b, r2.id, NOW + HOUR), signAttachment(r3, r1.id, NOW + HOUR)] };
    assert.throws(() => verifyRoute(gap, r1.id, a.id, NOW), /not connected/);
    const throughMe = { chain: [signAttachment(b, a.id, NOW + HOUR), signAttachment(a, r1.id, NOW + HOUR)] };
    assert.throws(() => verifyRoute(throughMe, r1.id, a.id, NOW), /loops/);
    assert.throws(() => verifyRoute({ chain: [] }, r1.id, a.id, NOW), /1-32/);
  });

  it('announcements round-trip through protobuf; any bytes decode or fail with ERR_BAD_MESSAGE', () => {
    const ann = { routes: [{ chain: [signAttachment(b, r2.id, NOW + HOUR), signAttachment(r2, r1.id, NOW + HOUR)] }], full: true, withdrawn: [r3.id] };
    const back = decodeRouteAnnouncement(encodeRouteAnnouncement(ann));
    assert.equal(back.full, true);
    assert.deepEqual(back.withdrawn, [r3.id]);
    assert.deepEqual(verifyRoute(back.routes[0]!, r1.id, a.id, NOW).dest, b.id);
    const good = encodeRouteAnnouncement(ann);
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const m = Buffer.from(good);
        m[i] = m[i]! ^ x;
        return m;
      })), (bytes) => {
        try {
          const dec = decodeRouteAnnouncement(bytes);
          for (const r of dec.routes) {
            try {
              verifyRoute(r, r1.id, a.id, NOW);
            } catch (e) {
              assert.ok(isCode('ERR_BAD_SIGNATURE')(e), String(e));
            }
          }
        } catch (e) {
          assert.ok(isCode('ERR_BAD_MESSAGE')(e), String(e));
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('RouteTable', () => {
  it('prefers a direct link, then the shortest announced route, then a departed node (hold), then an upstream', () => {
    let now = NOW;
    const t = new RouteTable({ now: () => now, departedMs: HOUR });
    assert.deepEqual(t.lookup(b.id), { kind: 'none' });
    t.linkUp(r1.id, { upstream: true });
    assert.deepEqual(t.lookup(b.id), { kind: 'upstream', next: r1.id, hops: 0 });
    assert.deepEqual(t.lookup(b.id, r1.id), { kind: 'none' }, 'never back to the peer it came from');
    t.linkUp(r2.id, { upstream: false });
    t.linkUp(r3.id, { upstream: false });
    t.learn(r2.id, [{ dest: b.id, hops: 3, expires: NOW + HOUR }], { full: true });
    t.learn(r3.id, [{ dest: b.id, hops: 2, expires: NOW + HOUR }], { full: true });
    assert.deepEqual(t.lookup(b.id), { kind: 'announced', next: r3.id, hops: 2 });
    t.linkDown(r3.id);
    assert.deepEqual(t.lookup(b.id), { kind: 'announced', next: r2.id, hops: 3 }, 'a route whose link is up wins over one whose link is down');
    t.learn(r2.id, [], { full: false, withdrawn: [b.id] });
    assert.deepEqual(t.lookup(b.id), { kind: 'departed', until: NOW + HOUR }, 'only the route through R3 (down) is left: hold here');
    assert.ok(t.list().some((r) => r.dest === b.id && r.next === r3.id && !r.up));
    t.linkUp(r3.id, { upstream: false });
    assert.deepEqual(t.lookup(b.id), { kind: 'announced', next: r3.id, hops: 2 }, 'R3 back: its route is used again at once');
    t.learn(r3.id, [], { full: true });
    assert.equal(t.lookup(b.id).kind, 'upstream', 'R3 no longer announces B');
    t.linkUp(b.id, { upstream: false });
    assert.deepEqual(t.lookup(b.id), { kind: 'link', next: b.id, hops: 1 });
    t.linkDown(b.id);
    assert.deepEqual(t.lookup(b.id), { kind: 'departed', until: NOW + HOUR });
    assert.ok(t.list().some((r) => r.dest === b.id && !r.up));
    now += HOUR + 1;
    assert.equal(t.lookup(b.id).kind, 'upstream', 'a departed node is forgotten after departedMs');
    assert.deepEqual(t.reachable().map((x) => x.dest).sort(), [r2.id, r3.id].sort());
  });

  it('announced routes expire with their earliest attachment', () => {
    let now = NOW;
    const t = new RouteTable({ now: () => now });
    t.linkUp(r2.id, { upstream: false });
    t.learn(r2.id, [{ dest: b.id, hops: 2, expires: NOW + 1000 }], { full: true });
    assert.equal(t.lookup(b.id).kind, 'announced');
    now += 1001;
    assert.equal(t.lookup(b.id).kind, 'none');
  });
});

describe('Router (forwarding rules)', () => {
  const table = (): RouteTable => {
    const t = new RouteTable({ now: () => NOW });
    t.linkUp(r1.id, { upstream: true });
    t.linkUp(r2.id, { upstream: false });
    return t;
  };

  it('delivers messages for itself once; later copies are duplicates', () => {
    const router = new Router(b.id, table());
    const w = wire();
    assert.deepEqual(router.decide(w, r1.id), { action: 'deliver' });
    assert.deepEqual(router.decide(w, r2.id), { action: 'duplicate' });
  });

  it('relays append themselves to path and spend one hop; the origin adds nothing', () => {
    const t = table();
    t.learn(r2.id, [{ dest: b.id, hops: 2, expires: NOW + HOUR }], { full: true });
    const relay = new Router(r3.id, t);
    const d = relay.decide(wire({ path: [r1.id], hopLimit: 5 }), r1.id);
    assert.equal(d.action, 'forward');
    if (d.action !== 'forward') return;
    assert.equal(d.next, r2.id);
    assert.deepEqual(d.wire.path, [r1.id, r3.id]);
    assert.equal(d.wire.hopLimit, 4);
    const origin = new Router(a.id, table());
    const o = origin.decide(wire(), null);
    assert.ok(o.action === 'forward' && o.wire.path.length === 0 && o.wire.hopLimit === 8 && o.next === r1.id);
  });

  it('refuses loops and spent hop limits; answers no_route when nothing leads there', () => {
    const relay = new Router(r3.id, table());
    assert.deepEqual(pick(relay.decide(wire({ path: [r3.id] }), r1.id)), { action: 'nack', reason: 'hop_limit' });
    assert.deepEqual(pick(relay.decide(wire({ hopLimit: 0 }), r2.id)), { action: 'nack', reason: 'hop_limit' });
    assert.deepEqual(pick(new Router(a.id, table()).decide(wire(), r2.id)), { action: 'nack', reason: 'hop_limit' }, 'came back to its origin');
    const lonely = new Router(r3.id, new RouteTable());
    assert.deepEqual(pick(lonely.decide(wire(), r1.id)), { action: 'nack', reason: 'no_route' });
  });

  it('follows via (jump hosts) in order, removing itself', () => {
    const t = table();
    const relay = new Router(r3.id, t);
    const d = relay.decide(wire({ via: [r3.id, r2.id] }), r1.id);
    assert.ok(d.action === 'forward' && d.next === r2.id && d.wire.via.length === 1 && d.wire.via[0] === r2.id);
    // A jump host it cannot reach is a no_route, even if the destination were reachable otherwise.
    const d2 = new Router(r3.id, new RouteTable()).decide(wire({ via: [r2.id] }), r1.id);
    assert.deepEqual(pick(d2), { action: 'nack', reason: 'no_route' });
  });

  it('holds messages for a node that was linked here and left', () => {
    const t = table();
    t.linkUp(b.id, { upstream: false });
    t.linkDown(b.id);
    const d = new Router(r2.id, t).decide(wire(), r1.id);
    assert.ok(d.action === 'hold' && d.target === b.id && d.wire.path.at(-1) === r2.id);
  });
});

function pick(d: ReturnType<Router['decide']>): Record<string, unknown> {
  return d.action === 'nack' ? { action: d.action, reason: d.reason } : { action: d.action };
}
