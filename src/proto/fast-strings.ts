import { isUtf8 } from 'node:buffer';
import protobuf from 'protobufjs';

/**
 * protobufjs 8 reads every proto3 string with strict UTF-8 checking; for
 * strings under 64 bytes (node IDs, message IDs, type URLs: most strings
 * on a link) it builds them eight characters at a time in JavaScript,
 * which is slow and leaves rope ("cons") strings that every later regex
 * test must flatten. On Node Buffers, the same check is `buffer.isUtf8`
 * (native) and the same string is `toString('utf8')` (native, flat): this swaps
 * them in for BufferReader. Same results — a string, or an error for
 * invalid UTF-8 — only faster. test/proto/fast-strings.test.ts checks
 * both readers agree on arbitrary bytes.
 */
export function useNativeStrictStrings(): void {
  const proto = protobuf.BufferReader.prototype as unknown as {
    stringVerify: () => string;
    uint32: () => number;
    pos: number;
    len: number;
    buf: Buffer;
    __pushmeshNative?: true;
  };
  if (proto.__pushmeshNative) return;
  proto.stringVerify = function stringVerifyNative(this: typeof proto): string {
    const length = this.uint32();
    const start = this.pos;
    const end = start + length;
    if (end > this.len) throw new RangeError(`index out of range: ${this.pos} + ${length} > ${this.len}`);
    this.pos = end;
    const text = this.buf.toString('utf8', start, end);
    // Invalid bytes always decode to U+FFFD; only then is the full check needed (a literal U+FFFD is valid).
    if (text.includes('\uFFFD') && !isUtf8(this.buf.subarray(start, end))) throw new Error('invalid UTF-8');
    return text;
  };
  proto.__pushmeshNative = true;
}
