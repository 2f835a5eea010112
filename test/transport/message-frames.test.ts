import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import {
  decodeDiscoveryRequest,
  decodeDiscoveryResponse,
  encodeDiscoveryRequest,
  encodeDiscoveryResponse,
  WEBPUSH_MESSAGE_TYPE_URL,
} from '../../src/proto/index.js';
import { acceptedResponse, ackRequest, messagesRequest, messagesResponse } from '../../src/transport/ads/message-frames.js';
import { comparable } from '../helpers/comparable.js';

/**
 * The frames as a protobufjs Writer writes them (the encoders before they
 * were written by hand): the bytes peers saw so far, which a client that
 * did not ask for answers with messages must keep seeing.
 */
const reference = (() => {
  const TYPE_URL = Buffer.from(WEBPUSH_MESSAGE_TYPE_URL);
  const STATUS = Buffer.from('type.googleapis.com/google.rpc.Status');
  const any = (w: protobuf.Writer, tag: number, value: Uint8Array): void => {
    w.uint32(tag).fork();
    w.uint32((1 << 3) | 2).uint32(TYPE_URL.length).raw(TYPE_URL);
    w.uint32((2 << 3) | 2).bytes(value);
    w.ldelim();
  };
  const done = (w: protobuf.Writer): Buffer => Buffer.from(w.finish());
  return {
    request(values: Uint8Array[], ack?: { nonce: string; version: string }): Buffer {
      const w = protobuf.Writer.create();
      if (ack && ack.version !== '') w.uint32((1 << 3) | 2).string(ack.version);
      w.uint32((4 << 3) | 2).uint32(TYPE_URL.length).raw(TYPE_URL);
      if (ack && ack.nonce !== '') w.uint32((5 << 3) | 2).string(ack.nonce);
      for (const v of values) any(w, (1000 << 3) | 2, v);
      return done(w);
    },
    accepted(nonce: string, id: string): Buffer {
      const w = protobuf.Writer.create();
      w.uint32((4 << 3) | 2).uint32(STATUS.length).raw(STATUS);
      w.uint32((5 << 3) | 2).string(nonce);
      w.uint32((6 << 3) | 2).fork().uint32((1 << 3) | 2).string(id).ldelim();
      return done(w);
    },
    response(nonce: string, values: Uint8Array[], id: string): Buffer {
      const w = protobuf.Writer.create();
      w.uint32((1 << 3) | 2).string(nonce);
      for (const v of values) any(w, (2 << 3) | 2, v);
      w.uint32((4 << 3) | 2).uint32(TYPE_URL.length).raw(TYPE_URL);
      w.uint32((5 << 3) | 2).string(nonce);
      w.uint32((6 << 3) | 2).fork().uint32((1 << 3) | 2).string(id).ldelim();
      return done(w);
    },
  };
})();

describe('message frames written directly (src/transport/ads/message-frames.ts)', () => {
  it('decode to the same DiscoveryRequest / DiscoveryResponse as the general encoders give', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), fc.nat().map(String), fc.string({ maxLength: 60 }), (values, nonce, id) => {
        const resources = values.map((value) => ({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value: Buffer.from(value) }));
        assert.deepEqual(
          comparable(decodeDiscoveryRequest(messagesRequest(values))),
          comparable(decodeDiscoveryRequest(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, pushmeshResources: resources }))),
        );
        assert.deepEqual(
          comparable(decodeDiscoveryResponse(messagesResponse(nonce, values, id))),
          comparable(decodeDiscoveryResponse(encodeDiscoveryResponse({ versionInfo: nonce, nonce, typeUrl: WEBPUSH_MESSAGE_TYPE_URL, resources, controlPlane: { identifier: id } }))),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('are byte for byte what a protobufjs Writer writes (the base protocol does not change)', () => {
    const values = fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 8 });
    fc.assert(
      fc.property(values, fc.oneof(fc.nat().map(String), fc.string({ maxLength: 200 })), fc.string({ maxLength: 200 }), fc.string({ maxLength: 60 }), fc.boolean(), (vs, nonce, version, id, withAck) => {
        const ack = withAck ? { nonce, version } : undefined;
        assert.deepEqual(messagesRequest(vs, ack), reference.request(vs, ack));
        assert.deepEqual(ackRequest(nonce, version), reference.request([], { nonce, version }));
        assert.deepEqual(acceptedResponse(nonce, id), reference.accepted(nonce, id));
        assert.deepEqual(messagesResponse(nonce, vs, id), reference.response(nonce, vs, id));
        assert.deepEqual(messagesResponse(nonce, vs, id, []), reference.response(nonce, vs, id));
      }),
      { numRuns: 1000 },
    );
    const big = [Buffer.alloc(70_000, 7), Buffer.alloc(200, 1)]; // three-byte lengths
    assert.deepEqual(messagesRequest(big), reference.request(big));
    assert.deepEqual(messagesResponse('12345', big, 'x'.repeat(52)), reference.response('12345', big, 'x'.repeat(52)));
  });

  it('put pushmesh_resources at field 1000 (tag bytes C2 3E)', () => {
    const frame = messagesRequest([Buffer.from([1, 2, 3])]);
    assert.ok(frame.includes(Buffer.from([0xc2, 0x3e])));
  });
});
