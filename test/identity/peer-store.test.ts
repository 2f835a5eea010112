import { strict as assert } from 'node:assert';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PeerStore } from '../../src/identity/index.js';
import { makeCard } from '../helpers/cards.js';
import { pushmeshError } from '../helpers/errors.js';
import { tempHome } from '../helpers/temp-dir.js';

describe('PeerStore', () => {
  it('adds, gets, lists (sorted), overwrites and removes cards, one file per node ID', async (t) => {
    const home = await tempHome(t);
    const store = new PeerStore(home);
    assert.deepEqual(await store.list(), []);
    const a = makeCard().card;
    const b = makeCard().card;
    await store.add(a);
    await store.add({ ...b, expirationTime: null });
    assert.deepEqual((await readdir(join(home, 'peers'))).sort(), [`${a.id}.json`, `${b.id}.json`].sort());
    assert.deepEqual(JSON.parse(await readFile(join(home, 'peers', `${b.id}.json`), 'utf8')), b);
    assert.deepEqual(await store.get(a.id), a);
    assert.deepEqual(await store.list(), [a, b].sort((x, y) => x.id.localeCompare(y.id)));

    const moved = { ...a, endpoint: `https://elsewhere.example/push/${a.id}` };
    await store.add(moved);
    assert.deepEqual(await store.get(a.id), moved);
    assert.equal((await store.list()).length, 2);

    assert.equal(await store.remove(a.id), true);
    assert.equal(await store.remove(a.id), false);
    assert.equal(await store.get(a.id), undefined);
    assert.deepEqual(await new PeerStore(home).list(), [b]);
  });

  it('refuses invalid cards and malformed IDs', async (t) => {
    const store = new PeerStore(await tempHome(t));
    const { card } = makeCard();
    await assert.rejects(store.add({ ...card, id: makeCard().card.id }), pushmeshError('ERR_BAD_CARD', /does not match/));
    await assert.rejects(store.get('short'), pushmeshError('ERR_BAD_ARGUMENT'));
    await assert.rejects(store.remove('../../key'), pushmeshError('ERR_BAD_ARGUMENT'));
    assert.deepEqual(await store.list(), []);
  });

  it('reports a stored card that was tampered with, naming the file', async (t) => {
    const home = await tempHome(t);
    const store = new PeerStore(home);
    const { card } = makeCard();
    await store.add(card);
    const file = join(home, 'peers', `${card.id}.json`);
    if (process.platform !== 'win32') assert.equal((await stat(file)).mode & 0o777, 0o600);
    await writeFile(file, JSON.stringify({ ...card, keys: { ...card.keys, auth: 'AA' } }));
    await assert.rejects(store.list(), pushmeshError('ERR_BAD_CARD', new RegExp(`${card.id}\\.json: bad card: keys\\.auth`)));
    const other = makeCard().card;
    await writeFile(file, JSON.stringify(other));
    await assert.rejects(store.get(card.id), pushmeshError('ERR_BAD_CARD', /holds the card of/));
  });

  it('ignores files that are not cards by name', async (t) => {
    const home = await tempHome(t);
    const store = new PeerStore(home);
    const { card } = makeCard();
    await store.add(card);
    await writeFile(join(home, 'peers', 'README'), 'hi');
    await writeFile(join(home, 'peers', 'notanid.json'), '{}');
    assert.deepEqual(await store.list(), [card]);
  });
});
