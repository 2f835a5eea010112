/**
 * Bounded routing state (docs/routing.md "Limits"), on MeshRouting with
 * real signed announcements: a peer not trusted for transit gets at most
 * maxRoutesPerUnlistedPeer routes to other nodes (0: only its own
 * attachment), a trusted one maxRoutesPerPeer, all together maxRoutes
 * (a peer that is away gives way; linked peers' routes never do); parts
 * waiting for their generation are bounded; a peer over its rate is
 * refused; every refusal is counted, and logged once a minute.
 */
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { layerFromEnv, layerFromText, resolveConfig } from '../../src/config/index.js';
import { nodeIdFromPublicKey } from '../../src/identity/node-id.js';
import type { Message } from '../../src/message/types.js';
import { encodeRouteAnnouncement } from '../../src/routing/wire.js';
import { AnnouncementAssembler } from '../../src/routing/announcement-assembler.js';
import { signAttachment } from '../../src/routing/attachment.js';
import { MeshRouting, ROUTES_TOPIC } from '../../src/routing/mesh-routing.js';
import type { RouteLimits } from '../../src/routing/route-limits.js';
import type { Route, RouteAnnouncement } from '../../src/routing/types.js';
import type { Link } from '../../src/transport/types.js';

const HOUR = 3600 * 1000;

interface Key {
  id: string;
  privateKey: ReturnType<typeof generateKeyPairSync>['privateKey'];
  publicKey: Buffer;
}

function key(): Key {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = privateKey.export({ format: 'jwk' });
  const publicKey = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  return { id: nodeIdFromPublicKey(publicKey), privateKey, publicKey };
}

/** `n` routes to fresh throwaway nodes behind `peer` (what a flooding stranger announces). */
const strangers = (peer: string, n: number): Route[] => Array.from({ length: n }, () => ({ chain: [signAttachment(key(), peer, Date.now() + HOUR)] }));

function message(from: string, ann: RouteAnnouncement): Message {
  const data = { v: 1, announcement: encodeRouteAnnouncement(ann).toString('base64') };
  return { id: 'x', from, to: '', topic: ROUTES_TOPIC, time: Date.now(), ttl: 600, urgency: 'high', meta: {}, data: { kind: 'json', value: data } };
}

const fakeLink = (id: string, direction: 'inbound' | 'outbound'): Link => ({ peer: { id }, direction }) as unknown as Link;

function relay(limits: Partial<RouteLimits>, trusted: string[] = []): { m: MeshRouting; self: Key; registry: Registry; logs: Array<Record<string, unknown>> } {
  const self = key();
  const registry = new Registry();
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const m = new MeshRouting({
    self: self.id,
    key: { privateKey: self.privateKey, publicKey: self.publicKey },
    verifier: { verify: () => Promise.reject(new Error('not used')) },
    linkTo: () => undefined,
    sendToPeer: async () => undefined,
    hold: () => undefined,
    logger,
    registry,
    routeLimits: limits,
    transit: { allowed: (p) => trusted.includes(p) },
  });
  return { m, self, registry, logs };
}

async function refused(registry: Registry): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await registry.getSingleMetric('pushmesh_routes_refused_total')!.get()).values) out[String(v.labels['reason'])] = v.value;
  return out;
}

const via = (m: MeshRouting, peer: string): number => m.list().filter((r) => r.kind === 'announced' && r.next === peer).length;

describe('bounded routing state', () => {
  it('an unlisted peer gets its own attachment and at most maxRoutesPerUnlistedPeer routes; a trusted one maxRoutesPerPeer; other peers keep theirs', async () => {
    const { m, self, registry, logs } = relay({ maxRoutesPerUnlistedPeer: 5, maxRoutesPerPeer: 40, maxRoutes: 1000 });
    try {
      const [stranger, sub] = [key(), key()];
      m.linkUp(fakeLink(stranger.id, 'inbound'));
      m.linkUp(fakeLink(sub.id, 'inbound'));
      m.onAnnouncement(message(sub.id, { routes: strangers(sub.id, 30), full: true, withdrawn: [] }));
      assert.equal(via(m, sub.id), 5, 'sub is unlisted: 5');
      // Flood: its own attachment plus 50 routes, full, then changes (unnumbered: each applied as it comes).
      m.onAnnouncement(message(stranger.id, { routes: [{ chain: [signAttachment(stranger, self.id, Date.now() + HOUR)] }, ...strangers(stranger.id, 50)], full: true, withdrawn: [] }));
      for (let i = 0; i < 5; i++) m.onAnnouncement(message(stranger.id, { routes: strangers(stranger.id, 8), full: false, withdrawn: [] }));
      assert.equal(via(m, stranger.id), 5);
      assert.equal(m.table.lookup(stranger.id).kind, 'link', 'its own attachment kept (it is linked)');
      assert.equal(via(m, sub.id), 5, 'the other peer’s routes are untouched');
      const r = await refused(registry);
      assert.equal(r['peer_limit'], 25 + 45 + 40);
      assert.equal(logs.filter((l) => l['msg'] === 'refused announced routes over a limit (logged once a minute)').length, 1, 'logged once, counted in full');

      // maxRoutesPerUnlistedPeer 0: only its own attachment.
      const strict = relay({ maxRoutesPerUnlistedPeer: 0 });
      strict.m.linkUp(fakeLink(stranger.id, 'inbound'));
      strict.m.onAnnouncement(message(stranger.id, { routes: [{ chain: [signAttachment(stranger, strict.self.id, Date.now() + HOUR)] }, ...strangers(stranger.id, 3)], full: true, withdrawn: [] }));
      assert.equal(via(strict.m, stranger.id), 0);
      assert.equal((await refused(strict.registry))['peer_limit'], 3);
      strict.m.close();

      // Trusted (peers.allow, CA, transitPeers): the larger cap.
      const open = relay({ maxRoutesPerUnlistedPeer: 5, maxRoutesPerPeer: 40 }, [sub.id]);
      open.m.linkUp(fakeLink(sub.id, 'inbound'));
      open.m.onAnnouncement(message(sub.id, { routes: strangers(sub.id, 30), full: true, withdrawn: [] }));
      assert.equal(via(open.m, sub.id), 30);
      open.m.onAnnouncement(message(sub.id, { routes: strangers(sub.id, 30), full: false, withdrawn: [] }));
      assert.equal(via(open.m, sub.id), 40);
      open.m.close();
    } finally {
      m.close();
    }
  });

  it('maxRoutes: a peer that is away gives way, the routes of linked peers never do', async () => {
    const [a, b, c] = [key(), key(), key()];
    const { m, registry } = relay({ maxRoutesPerUnlistedPeer: 20, maxRoutes: 30 });
    try {
      for (const p of [a, b, c]) m.linkUp(fakeLink(p.id, 'inbound'));
      m.onAnnouncement(message(a.id, { routes: strangers(a.id, 20), full: true, withdrawn: [] }));
      m.onAnnouncement(message(b.id, { routes: strangers(b.id, 20), full: true, withdrawn: [] }));
      assert.deepEqual([via(m, a.id), via(m, b.id)], [20, 10], 'b gets what is left of 30');
      assert.equal((await refused(registry))['total_limit'], 10);
      // a leaves: its routes stay (down) until someone needs the room.
      m.linkDown(fakeLink(a.id, 'inbound'));
      assert.equal(m.list().filter((r) => r.next === a.id && r.kind === 'announced' && !r.up).length, 20);
      m.onAnnouncement(message(c.id, { routes: strangers(c.id, 15), full: true, withdrawn: [] }));
      assert.equal(via(m, c.id), 15);
      assert.equal(via(m, b.id), 10, 'linked b keeps all it had');
      assert.equal(via(m, a.id), 0, 'away a gave way');
    } finally {
      m.close();
    }
  });

  it('announcements over the rate are refused and counted (in parts); the burst takes a whole full announcement at the cap', async () => {
    const { m, registry } = relay({ maxRoutesPerUnlistedPeer: 8, announcementsPerMinute: 6 });
    const p = key();
    try {
      m.linkUp(fakeLink(p.id, 'inbound'));
      // Burst: max(6 a minute, 8/4 + 10) = 12 parts at once.
      for (let i = 0; i < 20; i++) m.onAnnouncement(message(p.id, { routes: [], full: false, withdrawn: [] }));
      assert.equal((await refused(registry))['rate_limit'], 8);
    } finally {
      m.close();
    }
  });

  it('routes that do not verify are refused, counted, and logged once', async () => {
    const { m, registry, logs } = relay({});
    const p = key();
    try {
      m.linkUp(fakeLink(p.id, 'inbound'));
      const forged = strangers(p.id, 6).map((r) => ({ chain: [{ ...r.chain[0]!, signature: Buffer.alloc(64, 1) }] }));
      m.onAnnouncement(message(p.id, { routes: forged, full: true, withdrawn: [] }));
      assert.equal(via(m, p.id), 0);
      assert.equal((await refused(registry))['invalid'], 6);
      assert.equal(logs.filter((l) => String(l['msg']).startsWith('refused announced routes that do not verify')).length, 1);
    } finally {
      m.close();
    }
  });

  it('parts waiting for their generation hold at most maxItems routes and withdrawals; the rest is dropped and said', () => {
    const asm = new AnnouncementAssembler({ maxItems: () => 10 });
    const routes = strangers(key().id, 4);
    const parts = 6;
    let last;
    for (let i = 0; i < parts; i++) last = asm.add('p', { routes, full: true, withdrawn: [], generation: 7, part: i, parts });
    assert.equal(last!.kind, 'apply');
    const applied = last as { ann: RouteAnnouncement; dropped: number };
    assert.equal(applied.ann.routes.length, 10);
    assert.equal(applied.dropped, 6 * 4 - 10);
  });

  it('the limits and transitPeers come from the config file (routing:, merged per key; 0 allowed for the unlisted cap only) and the environment', () => {
    const id = key().id;
    const file = layerFromText(`routing:\n  maxRoutesPerPeer: 500\n  maxRoutesPerUnlistedPeer: 0\n  maxRoutes: 900\n  announcementsPerMinute: 60\n  transitPeers: [${id}]\n`, 'test.yaml');
    const cfg = resolveConfig('/tmp/h', [{ routing: { maxRoutes: 901 } }, file]);
    assert.deepEqual(cfg.routing, { maxRoutesPerPeer: 500, maxRoutesPerUnlistedPeer: 0, maxRoutes: 901, announcementsPerMinute: 60, transitPeers: [id] });
    assert.deepEqual(resolveConfig('/tmp/h', []).routing, { maxRoutesPerPeer: 10_000, maxRoutesPerUnlistedPeer: 100, maxRoutes: 20_000, announcementsPerMinute: 600, transitPeers: [] });
    assert.throws(() => layerFromText('routing:\n  maxRoutes: 0\n', 'test.yaml'), /routing.maxRoutes must be a whole number of at least 1/);
    assert.throws(() => layerFromText('routing:\n  routes: 3\n', 'test.yaml'), /unknown routing setting "routes"/);
    assert.throws(() => resolveConfig('/tmp/h', [layerFromText('routing:\n  transitPeers: [nope]\n', 'test.yaml')]), /routing.transitPeers entry "nope" is not a full node ID/);
    assert.deepEqual(resolveConfig('/tmp/h', [layerFromEnv({ PUSHMESH_TRANSIT_PEERS: id })]).routing.transitPeers, [id]);
  });
});
