import { strict as assert } from 'node:assert';
import { createHmac, hkdfSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { p256 } from '@noble/curves/nist.js';
import fc from 'fast-check';
import { isPushmeshError } from '../../src/errors/index.js';
import { newMessageId, sealMessage, SenderMacKeys, type Message } from '../../src/message/index.js';
import { openMessage } from './open.js';
import { decodeWebpushMessage, encodeWebpushMessage } from '../../src/proto/index.js';
import { encryptWebPush } from '../../src/webpush/index.js';
import { makeNode, type TestNode } from './nodes.js';

const alice = makeNode();
const bob = makeNode();
const relay = makeNode();
const macOf = (n: TestNode) => new SenderMacKeys(n.privateScalar, n.publicKey);
const bobReceiver = { ...bob.receiver, senderMac: macOf(bob) };

function message(overrides: Partial<Message> = {}): Message {
  return { id: newMessageId(), from: alice.id, to: bob.id, topic: 't', time: 1_700_000_000_000, ttl: 60, urgency: 'normal', meta: {}, data: { kind: 'json', value: { n: 1 } }, ...overrides };
}

const isBadSignature = (e: unknown): boolean => isPushmeshError(e) && e.code === 'ERR_BAD_SIGNATURE';

describe('sender MAC (content bound to origin and destination keys)', () => {
  it('an honest message opens; relays may change ttl, path, via and hop limit', async () => {
    const wire = await sealMessage(message({ replace: 'k' }), bob.card, alice.signer, { senderMac: macOf(alice) });
    assert.equal(wire.senderMac?.length, 32);
    const relayed = decodeWebpushMessage(encodeWebpushMessage({ ...wire, ttl: 30, path: [relay.id], hopLimit: 7, via: [] }));
    const msg = await openMessage(relayed, bobReceiver);
    assert.deepEqual(msg.data, { kind: 'json', value: { n: 1 } });
  });

  it('a relay cannot pair the sender’s VAPID token with a body of its own', async () => {
    const wire = await sealMessage(message(), bob.card, alice.signer, { senderMac: macOf(alice) });
    // The relay encrypts its own plaintext to Bob (anyone can: Bob's key is public) and keeps Alice's token and MAC.
    const forged = encryptWebPush(Buffer.from(JSON.stringify({ id: wire.id, topic: 't', time: wire.time, meta: {}, data: { n: 666 } })), { p256dh: bob.publicKey, auth: bob.auth });
    await assert.rejects(openMessage({ ...wire, body: forged }, bobReceiver), isBadSignature);
    // Without the MAC (what VAPID alone gave before), it is refused: a message between nodes must prove its sender.
    const { senderMac: _mac, ...stripped } = { ...wire, body: forged };
    await assert.rejects(openMessage(stripped, bobReceiver), isBadSignature);
    // And it cannot make a MAC of its own: its pair key with Bob is not Alice's.
    const relayMac = macOf(relay).sign({ ...wire, body: forged }, bob.publicKey);
    await assert.rejects(openMessage({ ...wire, body: forged, senderMac: relayMac }, bobReceiver), isBadSignature);
  });

  it('a missing MAC, or any change to id, from, to, replace, time or body, is refused', async () => {
    const wire = await sealMessage(message(), bob.card, alice.signer, { senderMac: macOf(alice) });
    const { senderMac: _drop, ...noMac } = wire;
    await assert.rejects(openMessage(noMac, bobReceiver), isBadSignature);
    await assert.rejects(openMessage({ ...wire, replace: 'other' }, bobReceiver), isBadSignature);
    await assert.rejects(openMessage({ ...wire, time: wire.time + 1 }, bobReceiver), isBadSignature);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 31 }), fc.integer({ min: 1, max: 255 }), async (i, x) => {
        const mac = Buffer.from(wire.senderMac!);
        mac[i] = mac[i]! ^ x;
        await assert.rejects(openMessage({ ...wire, senderMac: mac }, bobReceiver), isBadSignature);
      }),
      { numRuns: 50 },
    );
  });

  it('matches the documented construction, computed with @noble/curves ECDH', async () => {
    const wire = await sealMessage(message({ replace: 'r' }), bob.card, alice.signer, { senderMac: macOf(alice) });
    const shared = p256.getSharedSecret(alice.privateScalar, bob.publicKey).subarray(1); // x coordinate
    const label = Buffer.from('pushmesh sender-mac v1\0', 'latin1');
    const key = Buffer.from(hkdfSync('sha256', shared, Buffer.alloc(0), Buffer.concat([label, alice.publicKey, bob.publicKey]), 32));
    const lp = (s: string | Uint8Array, n: 2 | 4): Buffer => {
      const b = Buffer.from(s as string);
      const len = Buffer.alloc(n);
      if (n === 2) len.writeUInt16BE(b.length);
      else len.writeUInt32BE(b.length);
      return Buffer.concat([len, b]);
    };
    const time = Buffer.alloc(8);
    time.writeBigUInt64BE(BigInt(wire.time));
    const expected = createHmac('sha256', key)
      .update(Buffer.concat([label, lp(wire.id, 2), lp(wire.from, 2), lp(wire.to, 2), lp(wire.replace, 2), time, lp(Buffer.from(wire.body), 4)]))
      .digest();
    assert.deepEqual(Buffer.from(wire.senderMac!), expected);
  });
});
