import fc from 'fast-check';
import protobuf from 'protobufjs';

export interface ProtobufNoiseOptions {
  /** Field numbers of the tags. */
  fields: fc.Arbitrary<number>;
  /** Wire types of the tags (3, 4, 6 and 7 are written as a bare tag). */
  wireTypes: readonly number[];
  /** Longest length-delimited payload. */
  maxPayload: number;
  /** Most tags in one input. */
  maxParts: number;
}

/**
 * Protobuf-shaped noise: tags of plausible field numbers with any wire
 * type, each followed by a value of that wire type (varints and fixed
 * values over the whole 64-bit range), for decoders fed arbitrary input.
 */
export function protobufNoise(opts: ProtobufNoiseOptions): fc.Arbitrary<Uint8Array> {
  const part = fc.record({
    field: opts.fields,
    wireType: fc.constantFrom(...opts.wireTypes),
    varint: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    payload: fc.uint8Array({ maxLength: opts.maxPayload }),
  });
  return fc.array(part, { maxLength: opts.maxParts }).map((parts) => {
    const w = protobuf.Writer.create();
    for (const p of parts) {
      w.uint32(((p.field << 3) | p.wireType) >>> 0);
      if (p.wireType === 0) w.uint64(p.varint.toString());
      else if (p.wireType === 1) w.fixed64(p.varint.toString());
      else if (p.wireType === 5) w.fixed32(Number(p.varint & 0xffffffffn));
      else if (p.wireType === 2) w.bytes(p.payload);
    }
    return w.finish();
  });
}
