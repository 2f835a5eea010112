import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { PushmeshError, VapidError } from '../../src/errors/index.js';
import type { Message } from '../../src/message/types.js';
import {
  decodeAny,
  decodeDiscoveryRequest,
  decodeDiscoveryResponse,
  decodeMessage,
  decodeStatus,
  decodeWebpushMessage,
  encodeAny,
  encodeDiscoveryRequest,
  encodeDiscoveryResponse,
  encodeMessage,
  encodeStatus,
  encodeWebpushMessage,
  nackReasonForError,
  nackReasonOf,
  nackStatus,
  NACK_REASONS,
  protoType,
  WEBPUSH_MESSAGE_TYPE_URL,
} from '../../src/proto/index.js';
import { protobufNoise as noise } from '../helpers/protobuf-noise.js';
import { onlyBadMessage, randomNodeId, sampleWire, throwsCode } from './fixtures.js';

const WebpushType = () => protoType('pushmesh.v1.WebpushMessage');

/** Encodes raw fields with protobufjs directly, bypassing our validation. */
function rawWire(fields: Record<string, unknown>): Uint8Array {
  const base = { ...sampleWire(), urgency: 4 };
  return WebpushType().encode({ ...base, ...fields }).finish();
}

describe('WebpushMessage encode/decode', () => {
  it('round-trips every field', () => {
    const wire = sampleWire({ via: [randomNodeId(), randomNodeId()] });
    assert.deepEqual(decodeWebpushMessage(encodeWebpushMessage(wire)), { ...wire, body: Buffer.from(wire.body) });
  });

  it('reads URGENCY_UNSPECIFIED as normal', () => {
    assert.equal(decodeWebpushMessage(rawWire({ urgency: 0 })).urgency, 'normal');
  });

  it('decoded body does not share memory with the input', () => {
    const bytes = encodeWebpushMessage(sampleWire());
    const wire = decodeWebpushMessage(bytes);
    const before = Buffer.from(wire.body);
    bytes.fill(0);
    assert.deepEqual(Buffer.from(wire.body), before);
  });

  const invalid: Array<[string, Record<string, unknown>]> = [
    ['from not a node ID', { from: 'abc' }],
    ['to not a node ID', { to: 'A'.repeat(52) }],
    ['empty id', { id: '' }],
    ['id with a newline', { id: 'a\nb' }],
    ['id of 65 characters', { id: 'a'.repeat(65) }],
    ['ttl over 28 days', { ttl: 28 * 24 * 3600 + 1 }],
    ['unknown urgency', { urgency: 7 }],
    ['replace of 33 characters', { replace: 'a'.repeat(33) }],
    ['replace with a space', { replace: 'a b' }],
    ['negative time', { time: -1 }],
    ['time over 2^53', { time: '9007199254740993' }],
    ['33 entries in path', { path: Array.from({ length: 33 }, randomNodeId) }],
    ['a path entry not a node ID', { path: ['x'] }],
    ['33 entries in via', { via: Array.from({ length: 33 }, randomNodeId) }],
    ['hop_limit 33', { hopLimit: 33 }],
    ['empty authorization', { authorization: '' }],
    ['authorization over 4096 characters', { authorization: 'v'.repeat(4097) }],
    ['empty body', { body: Buffer.alloc(0) }],
    ['body shorter than an aes128gcm header', { body: Buffer.alloc(102) }],
    ['body over 4096 bytes', { body: Buffer.alloc(4097) }],
  ];
  for (const [what, fields] of invalid) {
    it(`refuses ${what} with ERR_BAD_MESSAGE`, () => {
      throwsCode(() => decodeWebpushMessage(rawWire(fields)), 'ERR_BAD_MESSAGE');
    });
  }

  it('accepts the bounds themselves', () => {
    const wire = decodeWebpushMessage(
      rawWire({ ttl: 28 * 24 * 3600, hopLimit: 32, body: Buffer.alloc(4096), id: 'a'.repeat(64), replace: 'b'.repeat(32), time: Number.MAX_SAFE_INTEGER }),
    );
    assert.equal(wire.body.length, 4096);
    assert.equal(decodeWebpushMessage(rawWire({ body: Buffer.alloc(103), replace: '', hopLimit: 0, ttl: 0 })).body.length, 103);
  });

  it('an oversize body and a missing authorization keep the precise error as cause, for NACK reasons', () => {
    const big = throwsCode(() => decodeWebpushMessage(rawWire({ body: Buffer.alloc(5000) })), 'ERR_BAD_MESSAGE');
    assert.equal((big.cause as PushmeshError).code, 'ERR_PAYLOAD_TOO_LARGE');
    assert.equal(nackReasonForError(big), 'too_large');
    const noAuth = throwsCode(() => decodeWebpushMessage(rawWire({ authorization: '' })), 'ERR_BAD_MESSAGE');
    assert.equal(nackReasonForError(noAuth), 'unauthorized');
    const other = throwsCode(() => decodeWebpushMessage(rawWire({ from: 'x' })), 'ERR_BAD_MESSAGE');
    assert.equal(nackReasonForError(other), 'bad_message');
  });

  it('refuses to encode an invalid message', () => {
    throwsCode(() => encodeWebpushMessage(sampleWire({ to: 'nobody' })), 'ERR_BAD_MESSAGE');
  });

  it('skips unknown fields (a newer sender)', () => {
    const known = encodeWebpushMessage(sampleWire());
    const extra = protobuf.Writer.create().uint32((99 << 3) | 2).string('future').finish();
    const wire = decodeWebpushMessage(Buffer.concat([known, extra]));
    assert.equal(wire.ttl, 3600);
  });
});

describe('Message (plaintext protobuf) encode/decode', () => {
  const base: Message = {
    id: 'm1',
    from: randomNodeId(),
    to: '',
    topic: 'sensors/kitchen',
    time: 1_700_000_000_000,
    ttl: 60,
    urgency: 'low',
    meta: { a: '1', __proto__: 'x' } as Record<string, string>,
    data: { kind: 'json', value: { t: 21.5, ok: true, list: [1, null] } },
  };
  it('round-trips json, text and bytes payloads', () => {
    for (const data of [base.data, { kind: 'text', value: 'héllo {' }, { kind: 'bytes', value: Buffer.from([0, 255, 1]) }] as const) {
      const msg = { ...base, data, replace: 'r1' };
      assert.deepEqual(decodeMessage(encodeMessage(msg)), msg);
    }
  });
  it('refuses a JSON kind whose data is not JSON, and unknown content kinds', () => {
    const T = protoType('pushmesh.v1.Message');
    const raw = (f: Record<string, unknown>) => T.encode({ id: 'x', from: base.from, urgency: 3, ...f }).finish();
    throwsCode(() => decodeMessage(raw({ data: Buffer.from('{'), contentKind: 1 })), 'ERR_BAD_MESSAGE');
    throwsCode(() => decodeMessage(raw({ data: Buffer.from([0xff]), contentKind: 2 })), 'ERR_BAD_MESSAGE');
    throwsCode(() => decodeMessage(raw({ contentKind: 9 })), 'ERR_BAD_MESSAGE');
    assert.deepEqual(decodeMessage(raw({ data: Buffer.from([7]) })).data, { kind: 'bytes', value: Buffer.from([7]) });
  });
});

describe('xDS messages, Status and Any', () => {
  it('DiscoveryRequest round-trips, with the pushmesh resources', () => {
    const req = {
      versionInfo: 'v2',
      node: { id: randomNodeId(), cluster: 'c', metadata: { a: { b: [1, 'two', false, null] } }, userAgentName: 'pushmesh', userAgentVersion: '0.1.0', clientFeatures: ['f'] },
      resourceNames: [],
      typeUrl: WEBPUSH_MESSAGE_TYPE_URL,
      responseNonce: 'n1',
      errorDetail: nackStatus('queue_full'),
      pushmeshResources: [{ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value: encodeWebpushMessage(sampleWire()) }],
    };
    assert.deepEqual(decodeDiscoveryRequest(encodeDiscoveryRequest(req)), req);
  });

  it('an empty DiscoveryRequest decodes to proto3 defaults', () => {
    assert.deepEqual(decodeDiscoveryRequest(new Uint8Array(0)), {
      versionInfo: '',
      node: undefined,
      resourceNames: [],
      typeUrl: '',
      responseNonce: '',
      errorDetail: undefined,
      pushmeshResources: [],
    });
  });

  it('DiscoveryResponse round-trips', () => {
    const res = {
      versionInfo: '7',
      resources: [{ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value: Buffer.from([1, 2]) }],
      canary: false,
      typeUrl: WEBPUSH_MESSAGE_TYPE_URL,
      nonce: 'x',
      controlPlane: { identifier: randomNodeId() },
    };
    assert.deepEqual(decodeDiscoveryResponse(encodeDiscoveryResponse(res)), res);
  });

  it('Status and Any round-trip', () => {
    const status = { code: 8, message: 'queue_full', details: [{ typeUrl: 'type.googleapis.com/a.B', value: Buffer.from('x') }] };
    assert.deepEqual(decodeStatus(encodeStatus(status)), status);
    const any = { typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value: Buffer.from([0, 1]) };
    assert.deepEqual(decodeAny(encodeAny(any)), any);
  });

  it('NACK reasons have stable codes and read back', () => {
    assert.deepEqual([...NACK_REASONS], ['unauthorized', 'bad_signature', 'too_large', 'no_route', 'queue_full', 'hop_limit', 'bad_message', 'storage_full']);
    for (const reason of NACK_REASONS) assert.equal(nackReasonOf(nackStatus(reason)), reason);
    assert.equal(nackStatus('unauthorized').code, 16);
    assert.equal(nackStatus('bad_signature').code, 7);
    assert.equal(nackStatus('queue_full').code, 8);
    assert.equal(nackStatus('no_route').code, 5);
    assert.equal(nackStatus('storage_full').code, 8);
    assert.equal(nackReasonForError(new PushmeshError('ERR_STORAGE_FULL', 'disk full')), 'storage_full');
    assert.equal(nackReasonOf({ code: 2, message: 'something else', details: [] }), undefined);
    assert.equal(nackReasonForError(new VapidError('ERR_VAPID_INVALID', 'bad sig')), 'bad_signature');
    assert.equal(nackReasonForError(new VapidError('ERR_VAPID_MISSING', 'none')), 'unauthorized');
    assert.equal(nackReasonForError(new PushmeshError('ERR_PAYLOAD_TOO_LARGE', 'big')), 'too_large');
    assert.equal(nackReasonForError(new Error('boom')), undefined);
  });
});

// ---- Property tests: outside bytes only ever give ERR_BAD_MESSAGE ----

const decoders: Array<[string, (b: Uint8Array) => unknown]> = [
  ['decodeWebpushMessage', decodeWebpushMessage],
  ['decodeDiscoveryRequest', decodeDiscoveryRequest],
  ['decodeDiscoveryResponse', decodeDiscoveryResponse],
  ['decodeStatus', decodeStatus],
  ['decodeAny', decodeAny],
  ['decodeMessage', decodeMessage],
];

/** Protobuf-shaped noise: tags of real field numbers with random wire types and payloads. */
const protobufNoise = noise({ fields: fc.oneof(fc.integer({ min: 1, max: 13 }), fc.constantFrom(1000, 99, 536870911)), wireTypes: [0, 1, 2, 3, 4, 5, 6, 7], maxPayload: 64, maxParts: 12 });

/** Valid encodings, then damaged: truncated, bytes flipped, bytes inserted. */
const damaged = fc
  .tuple(
    fc.constantFrom(
      () => encodeWebpushMessage(sampleWire()),
      () => encodeDiscoveryRequest({ node: { id: 'n', metadata: { a: [1, { b: 'c' }] } }, errorDetail: nackStatus('no_route'), pushmeshResources: [{ typeUrl: 'u', value: Buffer.from([1]) }] }),
      () => encodeDiscoveryResponse({ resources: [{ typeUrl: 'u', value: Buffer.from([1]) }], controlPlane: { identifier: 'x' } }),
    ),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'insert', 'truncate')), { minLength: 1, maxLength: 4 }),
  )
  .map(([make, edits]) => {
    let bytes = Buffer.from(make());
    for (const [at, value, kind] of edits) {
      const i = bytes.length === 0 ? 0 : at % bytes.length;
      if (kind === 'flip' && bytes.length > 0) bytes[i] = value;
      else if (kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([value]), bytes.subarray(i)]);
      else bytes = bytes.subarray(0, i);
    }
    return bytes as Uint8Array;
  });

/** len-delimited field `field` holding `inner`. */
function frame(field: number, inner: Uint8Array): Uint8Array {
  return protobuf.Writer.create().uint32((field << 3) | 2).bytes(inner).finish();
}

/**
 * DiscoveryRequest.node.metadata with a Value nested `depth` lists deep,
 * built by hand (protobufjs refuses to encode past its recursion limit).
 */
function nestedStructBytes(depth: number): Uint8Array {
  let value = frame(3, Buffer.from('leaf')); // Value.string_value
  for (let i = 0; i < depth; i++) value = frame(6, frame(1, value)); // Value.list_value → ListValue.values
  const entry = Buffer.concat([frame(1, Buffer.from('k')), frame(2, value)]); // map entry key/value
  const struct = frame(1, entry); // Struct.fields
  return frame(2, frame(3, struct)); // DiscoveryRequest.node → Node.metadata
}

describe('decoders on outside bytes (fast-check)', () => {
  for (const [name, decode] of decoders) {
    it(`${name}: random bytes only ever give ERR_BAD_MESSAGE`, () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => onlyBadMessage(() => decode(bytes))), { numRuns: 1000 });
    });
    it(`${name}: protobuf-shaped noise only ever gives ERR_BAD_MESSAGE`, () => {
      fc.assert(fc.property(protobufNoise, (bytes) => onlyBadMessage(() => decode(bytes))), { numRuns: 1000 });
    });
    it(`${name}: damaged valid messages only ever give ERR_BAD_MESSAGE`, () => {
      fc.assert(fc.property(damaged, (bytes) => onlyBadMessage(() => decode(bytes))), { numRuns: 500 });
    });
  }

  it('non-bytes input and nesting deeper than the recursion limit give ERR_BAD_MESSAGE', () => {
    for (const [, decode] of decoders) {
      throwsCode(() => decode('not bytes' as unknown as Uint8Array), 'ERR_BAD_MESSAGE');
      throwsCode(() => decode(undefined as unknown as Uint8Array), 'ERR_BAD_MESSAGE');
    }
    throwsCode(() => decodeDiscoveryRequest(nestedStructBytes(200)), 'ERR_BAD_MESSAGE');
    assert.ok(decodeDiscoveryRequest(nestedStructBytes(10)).node?.metadata);
  });
});
