/**
 * Property tests (fast-check) for "answers with messages": the decoder of
 * DiscoveryResponse field 1000 (outside bytes), its encoder, and a client
 * link fed arbitrary carried answers.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import protobuf from 'protobufjs';
import { isPushmeshError } from '../../src/errors/index.js';
import { decodeDiscoveryResponse, encodeDiscoveryResponse, encodeStatus, NODE_CARD_TYPE_URL, WEBPUSH_MESSAGE_TYPE_URL } from '../../src/proto/index.js';
import type { RequestAnswer, Status } from '../../src/proto/types.js';
import { cardAny, OK, outcomeOfStatus } from '../../src/transport/ads/ads-frames.js';
import { AdsClientLink } from '../../src/transport/ads/ads-client-link.js';
import { messagesResponse } from '../../src/transport/ads/message-frames.js';
import { linkLimits } from '../../src/transport/link-limits.js';
import type { SendOutcome } from '../../src/transport/types.js';
import { protobufNoise as noise } from '../helpers/protobuf-noise.js';
import { makeNode } from '../message/nodes.js';
import { sealedBytes } from './messages.js';
import { ScriptedChannel } from './scripted-channel.js';

const logger = pino({ level: 'silent' });
const onlyBadMessage = (err: unknown): boolean => isPushmeshError(err) && err.code === 'ERR_BAD_MESSAGE';
const ID = 'a'.repeat(52);

/** Bytes that look like protobuf: plausible tags (fields 1–3, any wire type) and payloads, nested once. */
const protobufNoise = noise({ fields: fc.integer({ min: 1, max: 3 }), wireTypes: [0, 1, 2, 5, 3, 4, 7], maxPayload: 24, maxParts: 8 });
const field1000Payloads = fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), protobufNoise), { maxLength: 4 });

// (plain objects: fast-check's records have no prototype, which deepEqual would see)
const status: fc.Arbitrary<Status> = fc
  .record({ code: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), message: fc.string({ maxLength: 20 }) })
  .map(({ code, message }) => ({ code, message, details: [] }));
const answer: fc.Arbitrary<RequestAnswer> = fc
  .record({ request: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })), statuses: fc.array(status, { maxLength: 4 }) })
  .map(({ request, statuses }) => ({ request, statuses }));

/** A response of messages whose field 1000 holds each payload as it is. */
function withField1000(payloads: Uint8Array[]): Buffer {
  const w = protobuf.Writer.create();
  for (const p of payloads) w.uint32((1000 << 3) | 2).bytes(p);
  return Buffer.concat([messagesResponse('7', [Buffer.from([1, 2, 3])], ID), w.finish()]);
}

describe('DiscoveryResponse field 1000 (pushmesh_answers): decoder of outside bytes (fast-check)', () => {
  it('any bytes in field 1000 give well-formed answers or ERR_BAD_MESSAGE, never anything else', () => {
    fc.assert(
      fc.property(field1000Payloads, (payloads) => {
        let res;
        try {
          res = decodeDiscoveryResponse(withField1000(payloads));
        } catch (err) {
          assert.ok(onlyBadMessage(err), String(err));
          return;
        }
        assert.equal(res.nonce, '7');
        assert.equal(res.resources.length, 1);
        if (res.pushmeshAnswers === undefined) return;
        assert.ok(res.pushmeshAnswers.length > 0, 'absent, never empty');
        for (const a of res.pushmeshAnswers) {
          assert.ok(Number.isSafeInteger(a.request) && a.request >= 0, String(a.request));
          for (const s of a.statuses) {
            assert.ok(Number.isInteger(s.code));
            assert.equal(typeof s.message, 'string');
            assert.ok(Array.isArray(s.details));
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('request numbers beyond 2^53 − 1 are refused, not rounded', () => {
    const w = protobuf.Writer.create();
    w.uint32(1 << 3).uint64('9007199254740993'); // 2^53 + 1
    assert.throws(() => decodeDiscoveryResponse(withField1000([w.finish()])), onlyBadMessage);
  });

  it('the hand-written encoder and protobufjs encode the same message, and answers round-trip', () => {
    fc.assert(
      fc.property(fc.array(answer, { maxLength: 5 }), fc.array(fc.uint8Array({ maxLength: 30 }), { maxLength: 3 }), (answers, values) => {
        const carried = answers.map((a) => ({ request: a.request, statuses: a.statuses.map((s) => encodeStatus(s)) }));
        const fast = messagesResponse('3', values, ID, carried);
        const viaProtobufjs = encodeDiscoveryResponse({
          versionInfo: '3',
          nonce: '3',
          typeUrl: WEBPUSH_MESSAGE_TYPE_URL,
          resources: values.map((value) => ({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value })),
          controlPlane: { identifier: ID },
          pushmeshAnswers: answers,
        });
        const back = decodeDiscoveryResponse(fast);
        assert.deepEqual(back, decodeDiscoveryResponse(viaProtobufjs)); // (protobufjs also writes proto3 defaults, so bytes differ)
        if (answers.length === 0) assert.equal(back.pushmeshAnswers, undefined);
        else assert.deepEqual(back.pushmeshAnswers, answers);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('a client link fed arbitrary carried answers (fast-check)', () => {
  const me = makeNode();
  const peer = makeNode();

  /** A client link past its handshake that has written `sizes.length` requests of messages, of `sizes[k]` messages each. */
  async function clientWith(sizes: number[], message: Buffer) {
    const channel = new ScriptedChannel();
    const link = new AdsClientLink({ transport: 'memory', channel, self: { id: me.id, card: me.card, version: 't' }, peer: { id: peer.id, proof: 'memory' }, limits: linkLimits(), logger });
    link.start();
    channel.events.frame(encodeDiscoveryResponse({ typeUrl: NODE_CARD_TYPE_URL, nonce: '1', versionInfo: '1', resources: [cardAny(peer.card)], controlPlane: { identifier: peer.id } }));
    await link.ready;
    const outcomes: Array<Array<SendOutcome | 'closed' | undefined>> = [];
    for (const size of sizes) {
      const row: Array<SendOutcome | 'closed' | undefined> = new Array(size).fill(undefined);
      outcomes.push(row);
      for (let i = 0; i < size; i++) {
        link.send(message).then(
          (o) => {
            assert.equal(row[i], undefined, 'settled once');
            row[i] = o;
          },
          (e: unknown) => {
            assert.ok(isPushmeshError(e) && e.code === 'ERR_LINK_CLOSED', String(e));
            assert.equal(row[i], undefined, 'settled once');
            row[i] = 'closed';
          },
        );
      }
      await new Promise((r) => setImmediate(r)); // one request per size
    }
    return { link, channel, outcomes };
  }

  it('settles exactly the answers that fit, in order, once each; anything else ends the link with protocol_error and settles nothing of that response', async () => {
    const message = await sealedBytes(me, peer);
    const back = await sealedBytes(peer, me);
    const sizesArb = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 });
    const carriedArb = fc.array(
      fc.array(fc.record({ request: fc.integer({ min: 0, max: 6 }), statuses: fc.array(fc.constantFrom<Status>({ code: 0, message: '', details: [] }, { code: 8, message: 'queue_full', details: [] }, { code: 3, message: 'what', details: [] }), { maxLength: 3 }) }), { minLength: 1, maxLength: 3 }),
      { minLength: 1, maxLength: 3 },
    );
    await fc.assert(
      fc.asyncProperty(sizesArb, carriedArb, async (sizes, responses) => {
        const { link, channel, outcomes } = await clientWith(sizes, message);
        // The model: requests answered so far, and whether the link is still up.
        let answered = 0;
        let up = true;
        const expected: Array<Array<SendOutcome | 'closed' | undefined>> = sizes.map((n) => new Array(n).fill(undefined));
        let nonce = 10;
        for (const answers of responses) {
          const frame = encodeDiscoveryResponse({ versionInfo: String(nonce), nonce: String(nonce++), typeUrl: WEBPUSH_MESSAGE_TYPE_URL, resources: [{ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value: back }], pushmeshAnswers: answers });
          channel.events.frame(frame);
          if (!up) continue;
          const fits = answers.every((a, j) => a.request === answered + 1 + j && a.request <= sizes.length && (a.statuses.length === 0 || a.statuses.length === sizes[a.request - 1]));
          if (!fits) {
            up = false;
            continue;
          }
          for (const a of answers) {
            expected[a.request - 1] = expected[a.request - 1]!.map((_, i) => (a.statuses.length === 0 ? OK : outcomeOfStatus(a.statuses[i]!)));
            answered++;
          }
        }
        await new Promise((r) => setImmediate(r));
        assert.equal(!link.isClosed, up);
        if (!up) {
          const ended = await link.closed;
          assert.equal(ended.reason, 'protocol_error');
          assert.equal(channel.ended, 'protocol_error');
          for (const row of expected) for (let i = 0; i < row.length; i++) row[i] ??= 'closed';
        } else {
          link.close();
          await new Promise((r) => setImmediate(r));
          for (const row of expected) for (let i = 0; i < row.length; i++) row[i] ??= 'closed';
        }
        assert.deepEqual(outcomes, expected);
      }),
      { numRuns: 500 },
    );
  });
});
