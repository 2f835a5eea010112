/**
 * The sender MAC vector (test/vectors/sender-mac.json, docs/wire-format.md
 * "sender_mac"): our SenderMacKeys signs and verifies it from both ends,
 * and an independent computation (@noble/curves ECDH, node:crypto HKDF and
 * HMAC written out from the documented construction) gives the same bytes.
 */
import { strict as assert } from 'node:assert';
import { createHmac, hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { p256 } from '@noble/curves/nist.js';
import { nodeIdFromPublicKey } from '../../src/identity/node-id.js';
import { SenderMacKeys } from '../../src/message/sender-mac.js';

const v = JSON.parse(readFileSync(new URL('../../../test/vectors/sender-mac.json', import.meta.url), 'utf8')) as Record<string, string | number>;
const hex = (k: string): Buffer => Buffer.from(v[k] as string, 'hex');
const fields = { id: v['id'] as string, from: v['from'] as string, to: v['to'] as string, replace: v['replace'] as string, time: v['time'] as number, body: hex('body') };

describe('sender MAC vector', () => {
  it('the keys are the vector\'s node IDs', () => {
    assert.deepEqual(Buffer.from(p256.getPublicKey(hex('originPrivate'), false)), hex('originPublic'));
    assert.deepEqual(Buffer.from(p256.getPublicKey(hex('destinationPrivate'), false)), hex('destinationPublic'));
    assert.equal(nodeIdFromPublicKey(hex('originPublic')), fields.from);
    assert.equal(nodeIdFromPublicKey(hex('destinationPublic')), fields.to);
  });

  it('SenderMacKeys makes it at the origin and accepts it at the destination; one changed bit is refused', () => {
    const mac = new SenderMacKeys(hex('originPrivate'), hex('originPublic')).sign(fields, hex('destinationPublic'));
    assert.equal(mac.toString('hex'), v['mac']);
    const dest = new SenderMacKeys(hex('destinationPrivate'), hex('destinationPublic'));
    assert.equal(dest.verify({ ...fields, senderMac: hex('mac') }, hex('originPublic')), true);
    const bad = hex('mac');
    bad[31]! ^= 1;
    assert.equal(dest.verify({ ...fields, senderMac: bad }, hex('originPublic')), false);
  });

  it('an independent computation from the documented construction gives the same MAC', () => {
    const z = p256.getSharedSecret(hex('destinationPrivate'), hex('originPublic')).subarray(1);
    const label = Buffer.from('pushmesh sender-mac v1\0', 'latin1');
    const k = Buffer.from(hkdfSync('sha256', z, Buffer.alloc(0), Buffer.concat([label, hex('originPublic'), hex('destinationPublic')]), 32));
    const str = (s: string): Buffer => {
      const b = Buffer.from(s, 'utf8');
      return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
    };
    const time = Buffer.alloc(8);
    time.writeBigUInt64BE(BigInt(fields.time));
    const bodyLen = Buffer.alloc(4);
    bodyLen.writeUInt32BE(fields.body.length);
    const mac = createHmac('sha256', k).update(Buffer.concat([label, str(fields.id), str(fields.from), str(fields.to), str(fields.replace), time, bodyLen, fields.body])).digest('hex');
    assert.equal(mac, v['mac']);
  });
});
