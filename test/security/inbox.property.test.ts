/**
 * The inbox against reshaped copies of a real message (fast-check): a
 * relay or a wire observer may change any clear field, cut or swap the
 * body, drop or move the proof, present the message as a plain Web Push
 * one. Whatever it does, the inbox answers (never throws), and a message
 * reaches the apps as Alice's only when id, from, to, replace, time and
 * body are exactly what she sealed; without her proof nothing is ever
 * Alice's, nor on a system topic, nor a receipt.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { Inbox } from '../../src/inbox/inbox.js';
import { encodePlaintext, linkAudience, newMessageId, recipientOf, sealMessage, type Message, type WebpushMessage } from '../../src/message/index.js';
import { encryptWebPush } from '../../src/webpush/index.js';
import { makeNode } from '../message/nodes.js';

const [alice, bob, mallory] = [makeNode(), makeNode(), makeNode()];
const logger = pino({ level: 'silent' });

function inbox(delivered: Message[]): Inbox {
  return new Inbox({
    self: bob.id,
    decrypter: bob.receiver.decrypter,
    verifier: bob.receiver.verifier,
    senderMac: bob.mac,
    replay: { check: () => ({ ok: true }) },
    deliver: (m) => void delivered.push(m),
    logger,
  });
}

const original = await sealMessage(
  { id: newMessageId(), from: alice.id, to: bob.id, topic: 'pushmesh.req', time: Date.now(), ttl: 600, urgency: 'normal', meta: { re: '1' }, data: { kind: 'json', value: { n: 1 } }, receipt: true },
  bob.card,
  alice.signer,
  { senderMac: alice.mac, receipt: true },
);
const otherBody = encryptWebPush(encodePlaintext({ id: original.id, topic: 'pushmesh.receipt', time: original.time, meta: {}, data: { kind: 'json', value: { evil: true } } }), recipientOf(bob.card));
const malloryWire = await sealMessage(
  { id: newMessageId(), from: mallory.id, to: bob.id, topic: 't', time: Date.now(), ttl: 60, urgency: 'normal', meta: {}, data: { kind: 'json', value: 0 } },
  bob.card,
  mallory.signer,
  { senderMac: mallory.mac },
);

/** A change to one field: covered ones must break the proof; the others (relays change them) must not. */
const mutation = fc.oneof(
  fc.record({ field: fc.constant('id' as const), value: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) }),
  fc.record({ field: fc.constant('replace' as const), value: fc.stringMatching(/^[A-Za-z0-9_-]{0,32}$/) }),
  fc.record({ field: fc.constant('time' as const), value: fc.integer({ min: 0, max: 2 ** 47 }) }),
  fc.record({ field: fc.constant('from' as const), value: fc.constantFrom(mallory.id, bob.id) }),
  fc.record({ field: fc.constant('body' as const), value: fc.oneof(fc.constant(otherBody), fc.constant(malloryWire.body), fc.uint8Array({ minLength: 103, maxLength: 300 })) }),
  fc.record({ field: fc.constant('senderMac' as const), value: fc.oneof(fc.constant(undefined), fc.constant(malloryWire.senderMac), fc.uint8Array({ minLength: 32, maxLength: 32 })) }),
  fc.record({ field: fc.constant('authorization' as const), value: fc.constantFrom(malloryWire.authorization, '', 'vapid t=a.b.c, k=AAAA') }),
  // Fields relays change: harmless to the proof.
  fc.record({ field: fc.constant('ttl' as const), value: fc.integer({ min: 0, max: 600 }) }),
  fc.record({ field: fc.constant('hopLimit' as const), value: fc.integer({ min: 0, max: 32 }) }),
  fc.record({ field: fc.constant('path' as const), value: fc.constant([mallory.id]) }),
);
const COVERED = new Set(['id', 'replace', 'time', 'from', 'body', 'senderMac', 'authorization']);

describe('inbox against reshaped messages (fast-check)', () => {
  it('delivers as Alice only what Alice sealed; everything else is refused with a reason, never thrown', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), async (changes, plainPath) => {
        const wire: WebpushMessage = { ...original };
        for (const c of changes) {
          if (c.value === undefined) delete wire[c.field as 'senderMac'];
          else (wire as unknown as Record<string, unknown>)[c.field] = c.value;
        }
        // Covered fields that differ from the original in the end (a later change may undo an earlier one).
        const covered = [...COVERED].some((f) => {
          const [now, was] = [(wire as unknown as Record<string, unknown>)[f], (original as unknown as Record<string, unknown>)[f]];
          return now instanceof Uint8Array || was instanceof Uint8Array ? !(now instanceof Uint8Array && was instanceof Uint8Array && Buffer.compare(now, was) === 0) : now !== was;
        });
        const delivered: Message[] = [];
        // As it would come over HTTPS (plain senders allowed, the node's https origin and link audience) or over a link.
        const r = await inbox(delivered).accept({ wire, via: plainPath ? 'https' : 'link', audiences: plainPath ? ['https://bob.example', linkAudience(bob.id)] : [linkAudience(bob.id)], allowUnverified: plainPath });
        if (r.kind === 'refused') {
          assert.equal(delivered.length, 0);
          assert.ok(r.reason.length > 0);
          return;
        }
        assert.equal(r.kind, 'delivered');
        const m = delivered[0]!;
        if (m.from === alice.id) {
          assert.ok(!covered, `delivered as Alice after changing ${changes.map((c) => c.field).join(', ')}`);
          assert.deepEqual(m.data, { kind: 'json', value: { n: 1 } });
        } else {
          assert.equal(m.from, '', 'nobody else can be named either');
          assert.equal(m.topic, 'webpush');
          assert.equal(m.receipt, undefined);
          assert.ok(m.unverifiedSender);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the unchanged message is delivered as Alice on every path', async () => {
    for (const plainPath of [false, true]) {
      const delivered: Message[] = [];
      const r = await inbox(delivered).accept({ wire: original, via: plainPath ? 'https' : 'link', audiences: [linkAudience(bob.id)], allowUnverified: plainPath });
      assert.equal(r.kind, 'delivered');
      assert.equal(delivered[0]!.from, alice.id);
      assert.equal(delivered[0]!.topic, 'pushmesh.req');
    }
  });
});
