import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeDiscoveryRequest,
  decodeDiscoveryResponse,
  encodeDiscoveryRequest,
  encodeDiscoveryResponse,
  WEBPUSH_MESSAGE_TYPE_URL,
} from '../../src/proto/index.js';
import { messagesRequest, messagesResponse } from '../../src/transport/ads/message-frames.js';

describe('message frames written directly (src/transport/ads/message-frames.ts)', () => {
  it('decode to the same DiscoveryRequest / DiscoveryResponse as the general encoders give', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), fc.nat().map(String), fc.string({ maxLength: 60 }), (values, nonce, id) => {
        const resources = values.map((value) => ({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value: Buffer.from(value) }));
        const norm = (x: unknown) => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)));
        assert.deepEqual(
          norm(decodeDiscoveryRequest(messagesRequest(values))),
          norm(decodeDiscoveryRequest(encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, pushmeshResources: resources }))),
        );
        assert.deepEqual(
          norm(decodeDiscoveryResponse(messagesResponse(nonce, values, id))),
          norm(decodeDiscoveryResponse(encodeDiscoveryResponse({ versionInfo: nonce, nonce, typeUrl: WEBPUSH_MESSAGE_TYPE_URL, resources, controlPlane: { identifier: id } }))),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('put pushmesh_resources at field 1000 (tag bytes C2 3E)', () => {
    const frame = messagesRequest([Buffer.from([1, 2, 3])]);
    assert.ok(frame.includes(Buffer.from([0xc2, 0x3e])));
  });
});
