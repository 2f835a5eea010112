/**
 * decodeWebpushMessage reads the common WebpushMessage shape by hand
 * (src/proto/fast-frames.ts, fastWebpushFields) and leaves anything else
 * to protobufjs; both feed the same mapping and checks. Held to the
 * protobufjs-only decoder on arbitrary bytes (fast-check): the same
 * message, or the same refusal (ERR_BAD_MESSAGE with the same NACK reason).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { isPushmeshError } from '../../src/errors/index.js';
import { fastWebpushFields } from '../../src/proto/fast-frames.js';
import { nackReasonForError, protoType } from '../../src/proto/index.js';
import { decodeWebpushMessage, decodeWebpushMessageGeneral } from '../../src/proto/webpush-message.js';
import { comparable } from '../helpers/comparable.js';
import { makeNode } from '../message/nodes.js';
import { sealedBytes } from './messages.js';


function outcome(f: () => unknown): unknown {
  try {
    return comparable(f());
  } catch (err) {
    assert.ok(isPushmeshError(err) && err.code === 'ERR_BAD_MESSAGE', String(err));
    return `ERR_BAD_MESSAGE ${nackReasonForError(err)}`;
  }
}

describe('WebpushMessage fast reader against protobufjs (fast-check)', () => {
  it('gives the same message or the same refusal on any bytes', async () => {
    const a = makeNode();
    const b = makeNode();
    const valid = await Promise.all([sealedBytes(a, b), sealedBytes(a, b, { x: 'y'.repeat(500) }, { replace: 'k1', ttl: 0, urgency: 'high' })]);
    const type = protoType('pushmesh.v1.WebpushMessage');
    const decoded = valid.map((v) => type.toObject(type.decode(v)));
    const piece = fc
      .record({ field: fc.integer({ min: 0, max: 16 }), wireType: fc.constantFrom(0, 0, 2, 2, 2, 1, 5), payload: fc.oneof(fc.uint8Array({ maxLength: 60 }), fc.string({ maxLength: 60 }).map((s) => Buffer.from(s))), n: fc.oneof(fc.nat(), fc.constant(2 ** 31), fc.constant(4294967295)) })
      .map(({ field, wireType, payload, n }) => {
        const w = protobuf.Writer.create();
        w.uint32(((field << 3) | wireType) >>> 0);
        if (wireType === 2) w.bytes(payload);
        else if (wireType === 0) w.uint64(n);
        else if (wireType === 1) w.fixed64(n);
        else w.fixed32(n);
        return w.finish();
      });
    const edited = fc
      .record({ i: fc.nat({ max: valid.length - 1 }), ttl: fc.option(fc.oneof(fc.nat({ max: 3_000_000 }), fc.constant(2 ** 32 - 1))), urgency: fc.option(fc.integer({ min: -1, max: 6 })), time: fc.option(fc.oneof(fc.nat(), fc.constant(2 ** 53), fc.constant(-5))), hop: fc.option(fc.nat({ max: 40 })), path: fc.option(fc.array(fc.string({ maxLength: 60 }), { maxLength: 3 })), receipt: fc.option(fc.boolean()) })
      .map(({ i, ...o }) => {
        const m: Record<string, unknown> = { ...decoded[i]! };
        if (o.ttl !== null) m['ttl'] = o.ttl;
        if (o.urgency !== null) m['urgency'] = o.urgency;
        if (o.time !== null) m['time'] = o.time;
        if (o.hop !== null) m['hopLimit'] = o.hop;
        if (o.path !== null) m['path'] = o.path;
        if (o.receipt !== null) m['receipt'] = o.receipt;
        return Buffer.from(type.encode(m).finish());
      });
    const bytes = fc.oneof(
      fc.constantFrom(...valid),
      edited,
      fc.tuple(fc.constantFrom(...valid), piece).map(([v, p]) => Buffer.concat([v, p])),
      fc.tuple(fc.constantFrom(...valid), fc.nat()).map(([v, n]) => v.subarray(0, n % (v.length + 1))),
      fc.tuple(edited, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([v, n, x]) => {
        const c = Buffer.from(v);
        c[n % c.length] = x;
        return c;
      }),
      fc.array(piece, { maxLength: 8 }).map((ps) => Buffer.concat(ps)),
    );
    let fast = 0;
    fc.assert(
      fc.property(bytes, (buf) => {
        if (fastWebpushFields(buf) !== null) fast++;
        for (const copyBody of [true, false]) assert.deepEqual(outcome(() => decodeWebpushMessage(buf, { copyBody })), outcome(() => decodeWebpushMessageGeneral(buf, { copyBody })));
      }),
      { numRuns: 4000 },
    );
    assert.ok(fast > 1000, `the fast reader read ${fast}`);
    assert.ok(fastWebpushFields(valid[0]!), 'a sealed message is read by hand');
  });
});
