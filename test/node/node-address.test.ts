import * as assert from 'node:assert/strict';
import { isPushmeshError, type ErrorCode } from '../../src/errors/index.js';
import { describe, it } from 'node:test';
import { vip6FromPublicKey } from '../../src/identity/node-id.js';
import type { Card, Identity } from '../../src/identity/types.js';
import { knownNodes, resolveNodeAddress, type KnownNodes } from '../../src/node/node-address.js';
import type { LinkManager } from '../../src/links/link-manager.js';
import type { PeerStore } from '../../src/identity/peer-store.js';
import type { MeshRouting } from '../../src/routing/mesh-routing.js';
import { fromBase64Url } from '../../src/util/base64url.js';
import { makeCard } from '../helpers/cards.js';

/** The typed error `fn` rejects with (fails if it resolves or rejects with anything else). */
export async function onlyTypedAsync(fn: () => Promise<unknown>): Promise<{ code: ErrorCode; message: string }> {
  try {
    await fn();
  } catch (err) {
    assert.ok(isPushmeshError(err), String(err));
    return { code: err.code, message: err.message };
  }
  assert.fail('expected a PushmeshError');
}

const known = (cards: Card[]): KnownNodes => ({ cards: async () => cards });
const vip6Of = (card: Card): string => vip6FromPublicKey(fromBase64Url(card.keys.p256dh));

describe('resolveNodeAddress', () => {
  const self = makeCard().card;
  const identity = { id: self.id, publicKey: fromBase64Url(self.keys.p256dh) } as unknown as Identity;
  const [b, c] = [makeCard().card, makeCard().card];

  it('a node ID is itself; a known VIP6 is its node; this node\'s own VIP6 is this node', async () => {
    assert.equal(await resolveNodeAddress(c.id, identity, known([])), c.id);
    assert.equal(await resolveNodeAddress(vip6Of(b), identity, known([b, c])), b.id);
    assert.equal(await resolveNodeAddress(`[${vip6Of(c)}]`, identity, known([b, c])), c.id);
    assert.equal(await resolveNodeAddress(vip6Of(self), identity, known([b])), self.id);
  });

  it('unknown: ERR_NOT_FOUND; two known keys with the same last 8 bytes: ERR_BAD_ARGUMENT naming both; malformed: ERR_BAD_ARGUMENT', async () => {
    const unknown = await onlyTypedAsync(() => resolveNodeAddress(vip6Of(b), identity, known([c])));
    assert.equal(unknown.code, 'ERR_NOT_FOUND');
    // A second key that ends like b's (not a valid P-256 point: the resolver only compares the last 8 bytes).
    const key = Buffer.from(fromBase64Url(c.keys.p256dh));
    fromBase64Url(b.keys.p256dh).subarray(57).copy(key, 57);
    const twin: Card = { ...c, keys: { ...c.keys, p256dh: key.toString('base64url') } };
    const ambiguous = await onlyTypedAsync(() => resolveNodeAddress(vip6Of(b), identity, known([b, twin])));
    assert.equal(ambiguous.code, 'ERR_BAD_ARGUMENT');
    assert.match(ambiguous.message, /ambiguous/);
    assert.ok(ambiguous.message.includes(b.id) && ambiguous.message.includes(twin.id));
    for (const bad of ['nope', 'fd00::g', 'fe80::1', '']) assert.equal((await onlyTypedAsync(() => resolveNodeAddress(bad, identity, known([b])))).code, 'ERR_BAD_ARGUMENT', bad);
  });

  it('a VIP6 of no known card while nodes are known only by a route: ERR_NOT_FOUND saying their VIP6 cannot be known without a card', async () => {
    const [linked, stored, routeOnly, other] = [makeCard().card, makeCard().card, makeCard().card, makeCard().card];
    const links = { links: () => [{ peer: { id: linked.id } }], cardOf: (id: string) => (id === linked.id ? linked : undefined) } as unknown as LinkManager;
    const store = { list: async () => [stored] } as unknown as PeerStore;
    const mesh = { list: () => [{ dest: linked.id }, { dest: routeOnly.id }, { dest: stored.id }, { dest: '*' }] } as unknown as MeshRouting;
    const nodes = knownNodes(links, store, mesh);
    assert.deepEqual((await nodes.withoutCard!()), [routeOnly.id], 'only the route destination with no card anywhere (an upstream route, *, names no node)');
    assert.equal(await resolveNodeAddress(vip6Of(linked), identity, nodes), linked.id);
    assert.equal(await resolveNodeAddress(vip6Of(stored), identity, knownNodes(links, store, mesh)), stored.id);
    for (const vip6 of [vip6Of(routeOnly), vip6Of(other)]) {
      const e = await onlyTypedAsync(() => resolveNodeAddress(vip6, identity, knownNodes(links, store, mesh)));
      assert.equal(e.code, 'ERR_NOT_FOUND');
      assert.equal(e.message, `no known node has the VIP6 address ${vip6}; 1 node reached by a route (${routeOnly.id}) has no card here, and a VIP6 address comes from the key on a card, not from the node ID: add the card with "pushmesh peer add" (a message to a node needs its card anyway)`);
    }
    const two = { list: () => [{ dest: routeOnly.id }, { dest: other.id }] } as unknown as MeshRouting;
    assert.match((await onlyTypedAsync(() => resolveNodeAddress('fd00::1', identity, knownNodes(links, store, two)))).message, /; 2 nodes reached by a route \(GET \/routes\) have no card here/);
  });
});
