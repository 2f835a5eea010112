import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DecryptError, VapidError } from '../../src/errors/index.js';
import {
  MAX_BODY_BYTES,
  newMessageId,
  sealMessage,
  URGENCIES,
  type Message,
  type WebpushMessage,
} from '../../src/message/index.js';
import { openMessage } from './open.js';
import {
  decodeDiscoveryResponse,
  decodeWebpushMessage,
  encodeDiscoveryResponse,
  encodeWebpushMessage,
  fromAny,
  nackReasonForError,
  toAny,
  WEBPUSH_MESSAGE_TYPE_URL,
} from '../../src/proto/index.js';
import { encryptWebPush, MAX_WEBPUSH_PLAINTEXT } from '../../src/webpush/index.js';
import { onlyBadMessage, rejectsCode, throwsCode } from '../proto/fixtures.js';
import { makeNode } from './nodes.js';

const alice = makeNode();
const bob = makeNode();
const mallory = makeNode();

function message(overrides: Partial<Message> = {}): Message {
  return {
    id: newMessageId(),
    from: alice.id,
    to: bob.id,
    topic: 'chat/general',
    time: 1_700_000_000_000,
    ttl: 600,
    urgency: 'normal',
    meta: { kind: 'greeting' },
    data: { kind: 'json', value: { text: 'hello bob' } },
    ...overrides,
  };
}

describe('sealMessage → openMessage with real crypto', () => {
  it('round-trips, through Any, a DiscoveryResponse and back', async () => {
    const msg = message({ replace: 'presence', urgency: 'high' });
    const wire = await sealMessage(msg, bob.card, alice.signer, { receipt: true, senderMac: alice.mac });
    assert.equal(wire.to, bob.id);
    assert.equal(wire.from, alice.id);
    assert.equal(wire.replace, 'presence');
    assert.ok(wire.authorization.startsWith('vapid t='));
    assert.ok(wire.body.length <= MAX_BODY_BYTES);
    assert.ok(!Buffer.from(wire.body).includes('chat/general'), 'topic is not in the clear');
    assert.ok(!encodeWebpushMessage(wire).includes('chat/general'), 'topic is not anywhere on the wire');

    const frame = encodeDiscoveryResponse({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, nonce: '1', resources: [toAny(wire)] });
    const [resource] = decodeDiscoveryResponse(frame).resources;
    assert.ok(resource);
    const received = fromAny(resource);
    assert.deepEqual(received, { ...wire, body: Buffer.from(wire.body) });
    assert.deepEqual(await openMessage(received, bob.receiver), msg);
  });

  it('round-trips text and bytes payloads and an empty destination meta', async () => {
    for (const data of [{ kind: 'text', value: 'plain' }, { kind: 'bytes', value: Buffer.from([0, 1, 255]) }] as const) {
      const msg = message({ data, meta: {} });
      assert.deepEqual(await openMessage(await sealMessage(msg, bob.card, alice.signer, { senderMac: alice.mac }), bob.receiver), msg);
    }
  });

  it('refuses a message whose "from" is not the VAPID key (ERR_VAPID_INVALID)', async () => {
    const wire = await sealMessage(message(), bob.card, alice.signer, { senderMac: alice.mac });
    const err = await rejectsCode(openMessage({ ...wire, from: mallory.id }, bob.receiver), 'ERR_VAPID_INVALID');
    assert.ok(err instanceof VapidError);
    assert.equal(nackReasonForError(err), 'bad_signature');
  });

  it('refuses a message signed by someone else claiming to be alice (ERR_VAPID_INVALID)', async () => {
    const forged = await sealMessage(message({ from: alice.id }), bob.card, mallory.signer, { senderMac: mallory.mac });
    await rejectsCode(openMessage(forged, bob.receiver), 'ERR_VAPID_INVALID');
  });

  it('refuses a message addressed to another node (ERR_BAD_MESSAGE)', async () => {
    const wire = await sealMessage(message(), bob.card, alice.signer, { senderMac: alice.mac });
    await rejectsCode(openMessage({ ...wire, to: mallory.id }, bob.receiver), 'ERR_BAD_MESSAGE');
    await rejectsCode(openMessage(wire, mallory.receiver), 'ERR_BAD_MESSAGE');
  });

  it('refuses a message re-addressed to another node whose token names the first (ERR_VAPID_INVALID: aud)', async () => {
    const toMallory = await sealMessage(message({ to: mallory.id }), mallory.card, alice.signer, { senderMac: alice.mac });
    const relabelled = { ...(await sealMessage(message(), bob.card, alice.signer, { senderMac: alice.mac })), authorization: toMallory.authorization };
    await rejectsCode(openMessage(relabelled, bob.receiver), 'ERR_VAPID_INVALID');
  });

  it('refuses an altered body: by anyone but the sender, bad_signature; a body the sender itself got wrong, ERR_DECRYPT (one opaque error)', async () => {
    const wire = await sealMessage(message(), bob.card, alice.signer, { senderMac: alice.mac });
    for (const at of [0, 90, wire.body.length - 1]) {
      const body = Buffer.from(wire.body);
      body[at]! ^= 0x01;
      await rejectsCode(openMessage({ ...wire, body }, bob.receiver), 'ERR_BAD_SIGNATURE');
      const remac = { ...wire, body, senderMac: alice.mac.sign({ ...wire, body }, bob.publicKey) };
      const err = await rejectsCode(openMessage(remac, bob.receiver), 'ERR_DECRYPT');
      assert.ok(err instanceof DecryptError);
      assert.equal(err.message, 'message could not be decrypted');
    }
  });

  it('refuses an altered or missing authorization', async () => {
    const wire = await sealMessage(message(), bob.card, alice.signer, { senderMac: alice.mac });
    const a = wire.authorization;
    const sigAt = a.indexOf(',') - 5;
    const flipped = a.slice(0, sigAt) + (a[sigAt] === 'A' ? 'B' : 'A') + a.slice(sigAt + 1);
    await rejectsCode(openMessage({ ...wire, authorization: flipped }, bob.receiver), 'ERR_VAPID_INVALID');
    await rejectsCode(openMessage({ ...wire, authorization: 'vapid t=abc, k=def' }, bob.receiver), 'ERR_VAPID_INVALID');
    const missing = await rejectsCode(openMessage({ ...wire, authorization: '' }, bob.receiver), 'ERR_VAPID_MISSING');
    assert.equal(nackReasonForError(missing), 'unauthorized');
  });

  it('refuses a changed id in the clear: bad_signature (the MAC covers it); from the sender itself, ERR_BAD_MESSAGE (differs from the encrypted id)', async () => {
    const wire = await sealMessage(message(), bob.card, alice.signer, { senderMac: alice.mac });
    const changed = { ...wire, id: newMessageId() };
    await rejectsCode(openMessage(changed, bob.receiver), 'ERR_BAD_SIGNATURE');
    await rejectsCode(openMessage({ ...changed, senderMac: alice.mac.sign(changed, bob.publicKey) }, bob.receiver), 'ERR_BAD_MESSAGE');
  });

  it('a plain Web Push body on a link is refused: without a sender proof (bad_signature), or with one but no pushmesh JSON', async () => {
    const body = encryptWebPush(Buffer.from('{"title":"Sale!"}'), { p256dh: bob.publicKey, auth: bob.auth });
    const wire: WebpushMessage = {
      id: 'http-ingress-1',
      from: alice.id,
      to: bob.id,
      ttl: 60,
      urgency: 'low',
      replace: '',
      time: Date.now(),
      path: [],
      via: [],
      hopLimit: 0,
      receipt: false,
      authorization: await alice.signer.authorization(`pushmesh://${bob.id}`),
      body,
    };
    await rejectsCode(openMessage(wire, bob.receiver), 'ERR_BAD_SIGNATURE');
    await rejectsCode(openMessage({ ...wire, senderMac: alice.mac.sign(wire, bob.publicKey) }, bob.receiver), 'ERR_BAD_MESSAGE');
  });

  it('sealing refuses a too-large payload, a card for another node, and a card that lies about its key', async () => {
    const big = message({ data: { kind: 'text', value: 'x'.repeat(MAX_WEBPUSH_PLAINTEXT) } });
    await rejectsCode(sealMessage(big, bob.card, alice.signer, { senderMac: alice.mac }), 'ERR_PAYLOAD_TOO_LARGE');
    await rejectsCode(sealMessage(message(), mallory.card, alice.signer, { senderMac: alice.mac }), 'ERR_BAD_ARGUMENT');
    const lyingCard = { ...mallory.card, id: bob.id };
    await rejectsCode(sealMessage(message(), lyingCard, alice.signer, { senderMac: alice.mac }), 'ERR_BAD_CARD');
    await rejectsCode(sealMessage(message(), { ...bob.card, keys: { ...bob.card.keys, auth: 'AAAA' } }, alice.signer, { senderMac: alice.mac }), 'ERR_BAD_CARD');
    await rejectsCode(sealMessage(message({ id: 'bad id' }), bob.card, alice.signer, { senderMac: alice.mac }), 'ERR_BAD_MESSAGE');
  });

  it('the largest plaintext that fits is sealed into exactly 4096 bytes', async () => {
    const overhead = message({ data: { kind: 'text', value: '' } });
    const empty = (await sealMessage(overhead, bob.card, alice.signer, { senderMac: alice.mac })).body.length;
    const room = MAX_BODY_BYTES - empty;
    const msg = message({ id: overhead.id, data: { kind: 'text', value: 'y'.repeat(room) } });
    const wire = await sealMessage(msg, bob.card, alice.signer, { senderMac: alice.mac });
    assert.equal(wire.body.length, MAX_BODY_BYTES);
    assert.deepEqual(await openMessage(decodeWebpushMessage(encodeWebpushMessage(wire)), bob.receiver), msg);
  });
});

describe('Any', () => {
  it('refuses another type URL with ERR_BAD_MESSAGE', async () => {
    const any = toAny(await sealMessage(message(), bob.card, alice.signer, { senderMac: alice.mac }));
    for (const typeUrl of ['', 'type.googleapis.com/pushmesh.v1.Message', 'example.com/pushmesh.v1.WebpushMessage', `${WEBPUSH_MESSAGE_TYPE_URL} `]) {
      throwsCode(() => fromAny({ ...any, typeUrl }), 'ERR_BAD_MESSAGE');
    }
    assert.equal(fromAny(any).to, bob.id);
  });

  it('fromAny on random type URLs and values only ever gives ERR_BAD_MESSAGE (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.record({ typeUrl: fc.oneof(fc.constant(WEBPUSH_MESSAGE_TYPE_URL), fc.string()), value: fc.uint8Array({ maxLength: 600 }) }),
        (any) => onlyBadMessage(() => fromAny(any)),
      ),
      { numRuns: 1000 },
    );
  });
});

describe('random messages round-trip through seal/open (fast-check)', () => {
  const payload = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }).map((value) => ({ kind: 'json' as const, value: JSON.parse(JSON.stringify(value)) as unknown })),
    fc.string({ maxLength: 200 }).map((value) => ({ kind: 'text' as const, value })),
    fc.uint8Array({ maxLength: 200 }).map((value) => ({ kind: 'bytes' as const, value: Buffer.from(value) })),
  );
  const randomMessage = fc.record({
    id: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
    topic: fc.string({ maxLength: 100 }),
    time: fc.maxSafeNat(),
    ttl: fc.integer({ min: 0, max: 28 * 24 * 3600 }),
    urgency: fc.constantFrom(...URGENCIES),
    replace: fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/), { nil: undefined }),
    meta: fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 }), { maxKeys: 5, noNullPrototype: true }),
    data: payload,
  });

  it('open(seal(m)) equals m', async () => {
    await fc.assert(
      fc.asyncProperty(randomMessage, async (fields) => {
        const { replace, ...rest } = fields;
        const msg: Message = { ...rest, from: alice.id, to: bob.id, ...(replace === undefined ? {} : { replace }) };
        const wire = decodeWebpushMessage(encodeWebpushMessage(await sealMessage(msg, bob.card, alice.signer, { senderMac: alice.mac })));
        assert.deepEqual(await openMessage(wire, bob.receiver), msg);
      }),
      { numRuns: 100 },
    );
  });
});
