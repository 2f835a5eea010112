/**
 * The protobuf parsing rules pushmesh relies on, which protobufjs 8
 * follows and protobufjs 7 (the copy @grpc/proto-loader and google-gax
 * use) does not: why pushmesh keeps its own protobufjs 8
 * (docs/architecture.md, "Decisions"). Each input goes through the
 * general decoder (a Node or an unexpected field: not the fast frame reader).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { decodeDiscoveryRequest, encodeDiscoveryRequest, WEBPUSH_MESSAGE_TYPE_URL } from '../../src/proto/index.js';
import { throwsCode } from './fixtures.js';

describe('protobuf parsing rules of the general decoder', () => {
  it('a field whose wire type is not its declared one is an unknown field: skipped, as protoc-generated parsers do', () => {
    // version_info (1, a string) sent as a varint, then type_url (4) "A". protobufjs 7 reads the varint as a string length.
    const req = decodeDiscoveryRequest(Buffer.from([0x08, 0x05, 0x22, 0x01, 0x41]));
    assert.equal(req.versionInfo, '');
    assert.equal(req.typeUrl, 'A');
    // A RequestAnswer{request: 1} where an Any goes (field 1000): an Any with neither field, refused later by its type URL.
    const answerShape = Buffer.from([0xc2, 0x3e, 0x02, 0x08, 0x01]);
    const withAnswer = decodeDiscoveryRequest(Buffer.concat([encodeDiscoveryRequest({ typeUrl: WEBPUSH_MESSAGE_TYPE_URL }), answerShape]));
    assert.deepEqual(withAnswer.pushmeshResources.map((a) => [a.typeUrl, a.value.length]), [['', 0]]);
  });

  it('a string that is not UTF-8, or runs past the end of its message, is ERR_BAD_MESSAGE (Buffer or plain Uint8Array)', () => {
    const badText = [0x12, 0x03, 0x0a, 0x01, 0xff]; // node (2) { id (1): 0xff }; protobufjs 7 reads U+FFFD
    const cut = [0x12, 0x03, 0x0a, 0x05, 0x41]; // node (2) { id (1) of 5 bytes, 1 there }; protobufjs 7 cuts it short
    for (const bytes of [badText, cut]) {
      throwsCode(() => decodeDiscoveryRequest(Buffer.from(bytes)), 'ERR_BAD_MESSAGE');
      throwsCode(() => decodeDiscoveryRequest(new Uint8Array(bytes)), 'ERR_BAD_MESSAGE');
    }
    const good = encodeDiscoveryRequest({ node: { id: 'n\u00e9\uFFFD' } });
    assert.equal(decodeDiscoveryRequest(new Uint8Array(good)).node?.id, 'n\u00e9\uFFFD');
  });
});
