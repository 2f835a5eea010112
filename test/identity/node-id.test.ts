import { strict as assert } from 'node:assert';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { describe, it } from 'node:test';
import { createIdentity, isNodeId, nodeIdFromPublicKey, vip6FromPublicKey } from '../../src/identity/index.js';
import { base32Lower, generatePrivateKey, uncompressedPublicKey } from '../helpers/keys.js';
import { tempHome } from '../helpers/temp-dir.js';

describe('node ID', () => {
  it('is 52 lowercase base32 characters equal to an independent SHA-256 + base32', async (t) => {
    const identity = await createIdentity(await tempHome(t));
    assert.match(identity.id, /^[a-z2-7]{52}$/);
    assert.ok(isNodeId(identity.id));
    // Independent: WebCrypto digest and a bit-by-bit base32 encoder.
    const digest = new Uint8Array(await webcrypto.subtle.digest('SHA-256', identity.publicKey));
    assert.equal(identity.id, base32Lower(digest));
  });

  it('matches the reference for many random keys', async () => {
    for (let i = 0; i < 20; i++) {
      const pub = uncompressedPublicKey(generatePrivateKey('p256'));
      const digest = new Uint8Array(await webcrypto.subtle.digest('SHA-256', pub));
      assert.equal(nodeIdFromPublicKey(pub), base32Lower(digest));
    }
  });

  it('isNodeId refuses wrong lengths, upper case and non-base32 characters', () => {
    const good = 'a'.repeat(52);
    assert.ok(isNodeId(good));
    for (const bad of ['a'.repeat(51), 'a'.repeat(53), 'A'.repeat(52), '1'.repeat(52), '8'.repeat(52), '']) assert.ok(!isNodeId(bad), bad);
  });
});

describe('VIP6', () => {
  it('is fd00::/64 followed by the last 8 bytes of the public key', async (t) => {
    const identity = await createIdentity(await tempHome(t));
    assert.equal(isIP(identity.vip6), 6);
    assert.equal(identity.vip6, vip6FromPublicKey(identity.publicKey));
    const tail = identity.publicKey.subarray(57);
    const groups = [0, 2, 4, 6].map((i) => tail.readUInt16BE(i).toString(16));
    assert.equal(expandIPv6(identity.vip6), ['fd00', '0', '0', '0', ...groups].join(':'));
  });

  it('compresses the longest run of zeros', () => {
    const key = Buffer.alloc(65);
    key[0] = 4;
    key.writeUInt16BE(0xabcd, 63);
    assert.equal(vip6FromPublicKey(key), 'fd00::abcd');
  });
});

/** Full form without leading zeros: 8 groups. */
function expandIPv6(text: string): string {
  const [head = '', tail = ''] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const tl = tail === '' ? [] : tail.split(':');
  const groups = text.includes('::') ? [...h, ...Array<string>(8 - h.length - tl.length).fill('0'), ...tl] : h;
  return groups.map((g) => parseInt(g, 16).toString(16)).join(':');
}
