import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { protoRoot } from '../../src/proto/index.js';

/** The UTF-8 rules protobufjs's own strict reader applies (WHATWG decoder, fatal). */
const reference = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function readWith(bytes: Uint8Array): string | 'invalid' {
  const framed = Buffer.concat([Buffer.from(protobuf.Writer.create().uint32(bytes.length).finish()), bytes]);
  try {
    return protobuf.Reader.create(framed).stringVerify();
  } catch {
    return 'invalid';
  }
}

describe('native strict strings for protobufjs (src/proto/fast-strings.ts)', () => {
  protoRoot(); // installs it

  it('agrees with a fatal UTF-8 decoder on arbitrary bytes and on every kind of text', () => {
    const texts = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 100 }).map((s) => Buffer.from(s, 'utf8')),
      fc.constantFrom(Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xc0, 0x80]), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from([0xef, 0xbb, 0xbf, 0x41])),
    );
    fc.assert(
      fc.property(texts, (bytes) => {
        let want: string | 'invalid';
        try {
          want = reference.decode(bytes);
        } catch {
          want = 'invalid';
        }
        assert.deepEqual(readWith(Buffer.from(bytes)), want);
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses a length past the end', () => {
    const framed = Buffer.from([10, 0x41]);
    assert.throws(() => protobuf.Reader.create(framed).stringVerify(), RangeError);
  });
});
