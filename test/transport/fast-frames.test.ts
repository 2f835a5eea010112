/**
 * src/proto/fast-frames.ts reads the frames of the hot path by hand and
 * gives up on anything else. Held to protobufjs's results on arbitrary
 * bytes (fast-check): whenever it answers, protobufjs decodes the same
 * frame to the same thing; whatever it gives up on, the decoders still
 * answer as protobufjs does (a frame, or ERR_BAD_MESSAGE).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { isPushmeshError } from '../../src/errors/index.js';
import { generalDecoders } from '../../src/proto/discovery.js';
import { fastDiscoveryRequest, fastDiscoveryResponse } from '../../src/proto/fast-frames.js';
import { decodeDiscoveryRequest, decodeDiscoveryResponse, encodeDiscoveryRequest, encodeStatus, STATUS_TYPE_URL, WEBPUSH_MESSAGE_TYPE_URL } from '../../src/proto/index.js';
import { acceptedResponse, messagesRequest, messagesResponse } from '../../src/transport/ads/message-frames.js';
import { comparable } from '../helpers/comparable.js';


function outcome(f: () => unknown): unknown {
  try {
    return comparable(f());
  } catch (err) {
    assert.ok(isPushmeshError(err) && err.code === 'ERR_BAD_MESSAGE', String(err));
    return 'ERR_BAD_MESSAGE';
  }
}

const text = fc.oneof(fc.constantFrom('', WEBPUSH_MESSAGE_TYPE_URL, STATUS_TYPE_URL, '12', 'x'.repeat(52)), fc.string({ maxLength: 30 }), fc.string({ unit: 'grapheme', maxLength: 10 }));
const value = fc.uint8Array({ maxLength: 80 });
const utf8 = fc.uint8Array({ maxLength: 12 }); // often not valid UTF-8

/** Fields as frames hold them, plus ones they do not: every number the two messages use, any wire type, nested Anys and answers. */
const piece: fc.Arbitrary<Uint8Array> = fc
  .record({
    field: fc.constantFrom(1, 2, 3, 4, 5, 6, 7, 1000, 1000, 2, 9),
    wireType: fc.constantFrom(2, 2, 2, 2, 0, 1, 5, 3),
    payload: fc.oneof(
      text.map((s) => Buffer.from(s)),
      utf8,
      fc.record({ t: fc.oneof(text.map((s) => Buffer.from(s)), utf8), v: value, extra: fc.boolean() }).map(({ t, v, extra }) => {
        const w = protobuf.Writer.create();
        w.uint32(0x0a).bytes(t).uint32(0x12).bytes(v);
        if (extra) w.uint32(0x0a).bytes(t); // a second type_url
        return w.finish();
      }),
      fc.record({ request: fc.oneof(fc.nat(), fc.constant(2 ** 53 + 2), fc.constant(2 ** 49)), statuses: fc.nat({ max: 2 }) }).map(({ request, statuses }) => {
        const w = protobuf.Writer.create();
        w.uint32(0x08).uint64(request);
        for (let i = 0; i < statuses; i++) w.uint32(0x12).bytes(encodeStatus({ code: 8, message: 'queue_full', details: [] }));
        return w.finish();
      }),
    ),
    n: fc.nat(),
  })
  .map(({ field, wireType, payload, n }) => {
    const w = protobuf.Writer.create();
    w.uint32(((field << 3) | wireType) >>> 0);
    if (wireType === 2) w.bytes(payload);
    else if (wireType === 0) w.uint32(n);
    else if (wireType === 1) w.fixed64(n);
    else if (wireType === 5) w.fixed32(n);
    return w.finish();
  });

const linkFrames = fc.oneof(
  fc.record({ values: fc.array(value, { maxLength: 4 }), nonce: text, version: text, ack: fc.boolean() }).map(({ values, nonce, version, ack }) => messagesRequest(values, ack ? { nonce, version } : undefined)),
  fc.record({ values: fc.array(value, { maxLength: 4 }), nonce: text, id: text, answers: fc.array(fc.nat({ max: 2 ** 40 }), { maxLength: 3 }) }).map(({ values, nonce, id, answers }) =>
    messagesResponse(nonce, values, id, answers.map((request) => ({ request, statuses: [] }))),
  ),
  fc.record({ nonce: text, id: text }).map(({ nonce, id }) => acceptedResponse(nonce, id)),
);

const frames = fc.oneof(
  linkFrames,
  fc.array(piece, { maxLength: 6 }).map((ps) => Buffer.concat(ps)),
  // a link frame with a piece appended, or cut short, or one byte changed
  fc.tuple(linkFrames, piece).map(([f, p]) => Buffer.concat([f, p])),
  fc.tuple(linkFrames, fc.nat()).map(([f, n]) => f.subarray(0, n % (f.length + 1))),
  fc.tuple(linkFrames, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([f, n, b]) => {
    const copy = Buffer.from(f);
    if (copy.length > 0) copy[n % copy.length] = b;
    return copy;
  }),
);

describe('fast frame reader (src/proto/fast-frames.ts) against protobufjs (fast-check)', () => {
  it('when it reads a frame, protobufjs reads the same; the decoders answer as protobufjs does on any bytes', () => {
    let fastRead = 0;
    fc.assert(
      fc.property(frames, (bytes) => {
        const buf = Buffer.from(bytes);
        for (const [fast, general, decode] of [
          [fastDiscoveryRequest, generalDecoders.request, decodeDiscoveryRequest],
          [fastDiscoveryResponse, generalDecoders.response, decodeDiscoveryResponse],
        ] as const) {
          const expected = outcome(() => general(buf));
          const quick = fast(buf); // never throws
          if (quick !== null) {
            fastRead++;
            assert.deepEqual(comparable(quick), expected);
          }
          assert.deepEqual(outcome(() => decode(buf)), expected);
        }
      }),
      { numRuns: 5000 },
    );
    assert.ok(fastRead > 1000, `the fast path read ${fastRead} frames`);
  });

  it('reads the link frames themselves, and leaves the rest to protobufjs', () => {
    const values = [Buffer.from([1, 2, 3]), Buffer.alloc(1000, 9)];
    assert.ok(fastDiscoveryRequest(messagesRequest(values, { nonce: '7', version: '7' })));
    assert.ok(fastDiscoveryResponse(messagesResponse('8', values, 'x'.repeat(52), [{ request: 3, statuses: [] }])));
    assert.ok(fastDiscoveryResponse(acceptedResponse('9', 'x'.repeat(52))));
    // A Node (first request), a NACK, statuses in an answer: protobufjs.
    assert.equal(fastDiscoveryRequest(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, node: { id: 'n' } })), null);
    assert.equal(fastDiscoveryRequest(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, responseNonce: '1', errorDetail: { code: 8, message: 'queue_full' } })), null);
    assert.equal(fastDiscoveryResponse(messagesResponse('8', values, 'x', [{ request: 1, statuses: [encodeStatus({ code: 8, message: 'queue_full', details: [] })] }])), null);
    assert.equal(fastDiscoveryRequest(new Uint8Array(messagesRequest(values))), null, 'not a Buffer: protobufjs');
  });
});
