import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ConfigRefusedError, ConfigStore, signConfig, verifySignedConfig } from '../../src/signed-config/index.js';
import { openDatabase } from '../../src/store/database.js';
import { tempDir } from '../helpers/temp-dir.js';
import { makeOwner } from './fixtures.js';

const owner = makeOwner();
const signed = async (version: number, data: unknown = { v: version }, name = 'settings') =>
  verifySignedConfig(await signConfig({ namespace: 'app', name, version, data, iat: 1_700_000_000 }, owner.privateKey));

describe('ConfigStore', () => {
  it('keeps increasing versions; a lower one is rollback, the same payload duplicate, the same version otherwise conflict', async (t) => {
    const db = openDatabase(await tempDir(t));
    t.after(() => db.close());
    const store = new ConfigStore(db);
    const v0 = await signed(0);
    const v1 = await signed(1);
    assert.equal(store.offer(v0, 10).status, 'accepted');
    assert.equal(store.offer(v1, 11).status, 'accepted');
    assert.throws(() => store.offer(v0, 12), (e: unknown) => e instanceof ConfigRefusedError && e.reason === 'rollback' && /version 0 is older than the kept version 1/.test(e.message));
    assert.equal(store.offer(v1, 13).status, 'duplicate');
    // The same payload with another (malleated or re-made) signature is still a duplicate: payloads are compared.
    const again = await verifySignedConfig(await signConfig({ namespace: 'app', name: 'settings', version: 1, data: { v: 1 }, iat: 1_700_000_000 }, owner.privateKey));
    assert.notEqual(again.jws, v1.jws);
    assert.equal(store.offer(again, 14).status, 'duplicate');
    const other = await signed(1, { v: 'different' });
    assert.throws(() => store.offer(other, 15), (e: unknown) => e instanceof ConfigRefusedError && e.reason === 'conflict');
    assert.equal(store.get('app', 'settings')?.jws, v1.jws);
    assert.equal(store.get('app', 'settings')?.acceptedAt, 11);
    // Other names are independent.
    assert.equal(store.offer(await signed(0, 1, 'other'), 16).status, 'accepted');
    assert.deepEqual(store.all().map((s) => `${s.name}@${s.version}`), ['other@0', 'settings@1']);
  });

  it('survives a reopen of the database file: the kept version still blocks rollbacks', async (t) => {
    const home = await tempDir(t);
    const v5 = await signed(5);
    {
      const db = openDatabase(home);
      new ConfigStore(db).offer(v5, 1);
      db.close();
    }
    const db = openDatabase(home);
    t.after(() => db.close());
    const store = new ConfigStore(db);
    assert.equal(store.get('app', 'settings')?.version, 5);
    assert.equal(store.get('app', 'settings')?.owner, owner.id);
    const v4 = await signed(4);
    assert.throws(() => store.offer(v4, 2), { reason: 'rollback' });
    store.remove('app', 'settings');
    assert.equal(store.size, 0);
    assert.equal(store.offer(v4, 3).status, 'accepted');
  });
});
