/**
 * A minimal protobuf wire-format writer and reader (varint, 64-bit,
 * length-delimited, 32-bit), enough for the link's messages. The writer
 * lays fields out as protobufjs does for pushmesh's proto3 files: in
 * field-number order, scalars at their default value left out, present
 * sub-messages always written, map entries as {1: key, 2: value}.
 */
import { concatBytes, fromUtf8, utf8 } from '../bytes.js';
import { badMessage } from '../errors.js';

export const WT_VARINT = 0;
export const WT_I64 = 1;
export const WT_LEN = 2;
export const WT_I32 = 5;

/** Deepest nesting the reader follows (protobufjs's recursion limit is 100). */
export const MAX_DEPTH = 100;

export class ProtoWriter {
  readonly #parts: Uint8Array[] = [];
  #buf: number[] = [];

  #flush(): void {
    if (this.#buf.length > 0) {
      this.#parts.push(Uint8Array.from(this.#buf));
      this.#buf = [];
    }
  }

  /** An unsigned varint of a non-negative safe integer. */
  varint(n: number): this {
    let v = n;
    while (v >= 0x80) {
      this.#buf.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.#buf.push(v);
    return this;
  }

  /** A signed 32/64-bit integer as a varint: negatives take ten bytes (two's complement). */
  signedVarint(n: number): this {
    if (n >= 0) return this.varint(n);
    let v = BigInt.asUintN(64, BigInt(n));
    while (v >= 0x80n) {
      this.#buf.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#buf.push(Number(v));
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  raw(bytes: Uint8Array): this {
    this.#flush();
    this.#parts.push(bytes);
    return this;
  }

  /** A length-delimited field, always written (sub-messages, repeated entries). */
  lenAlways(field: number, bytes: Uint8Array): this {
    return this.tag(field, WT_LEN).varint(bytes.length).raw(bytes);
  }

  string(field: number, value: string | undefined): this {
    if (value === undefined || value === '') return this;
    return this.lenAlways(field, utf8(value));
  }

  bytes(field: number, value: Uint8Array | undefined): this {
    if (value === undefined || value.length === 0) return this;
    return this.lenAlways(field, value);
  }

  /** uint32 / uint64 / int64 ≥ 0 / enum ≥ 0; 0 left out. */
  uint(field: number, value: number | undefined): this {
    if (value === undefined || value === 0) return this;
    return this.tag(field, WT_VARINT).varint(value);
  }

  /** int32 / int64 (negatives in ten bytes); 0 left out. */
  int(field: number, value: number | undefined): this {
    if (value === undefined || value === 0) return this;
    return this.tag(field, WT_VARINT).signedVarint(value);
  }

  bool(field: number, value: boolean | undefined): this {
    if (!value) return this;
    return this.tag(field, WT_VARINT).varint(1);
  }

  double(field: number, value: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    return this.tag(field, WT_I64).raw(b);
  }

  strings(field: number, values: readonly string[] | undefined): this {
    for (const v of values ?? []) this.lenAlways(field, utf8(v));
    return this;
  }

  finish(): Uint8Array {
    this.#flush();
    return this.#parts.length === 1 ? this.#parts[0]! : concatBytes(...this.#parts);
  }
}

/** One field as read: its number, wire type, and value (a number for varint, bytes view for LEN/I64/I32). */
export interface Field {
  field: number;
  wireType: number;
  /** Varint: the value as a bigint (exact, 64-bit). */
  varint?: bigint;
  /** LEN, I64, I32: a view of the payload. */
  bytes?: Uint8Array;
}

/** Reads the fields of one message in order; every fault is ERR_BAD_MESSAGE. */
export function* readFields(buf: Uint8Array, what: string): Generator<Field> {
  let pos = 0;
  const end = buf.length;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= end) throw badMessage(`${what}: truncated varint`);
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    throw badMessage(`${what}: varint longer than ten bytes`);
  };
  while (pos < end) {
    const key = varint();
    if (key > 0xffffffffn) throw badMessage(`${what}: bad field key`);
    const field = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (field === 0) throw badMessage(`${what}: field number 0`);
    switch (wireType) {
      case WT_VARINT:
        yield { field, wireType, varint: varint() };
        break;
      case WT_I64:
      case WT_I32: {
        const size = wireType === WT_I64 ? 8 : 4;
        if (end - pos < size) throw badMessage(`${what}: truncated fixed-size field`);
        yield { field, wireType, bytes: buf.subarray(pos, pos + size) };
        pos += size;
        break;
      }
      case WT_LEN: {
        const len = varint();
        if (len > BigInt(end - pos)) throw badMessage(`${what}: length past the end`);
        const n = Number(len);
        yield { field, wireType, bytes: buf.subarray(pos, pos + n) };
        pos += n;
        break;
      }
      default:
        // Groups (3, 4) are proto2 only and never in pushmesh's messages.
        throw badMessage(`${what}: unsupported wire type ${wireType}`);
    }
  }
}

function expect(f: Field, wireType: number, what: string): void {
  if (f.wireType !== wireType) throw badMessage(`${what}: field ${f.field} has wire type ${f.wireType}, expected ${wireType}`);
}

export function readString(f: Field, what: string): string {
  expect(f, WT_LEN, what);
  const s = fromUtf8(f.bytes!);
  if (s === undefined) throw badMessage(`${what}: field ${f.field} is not UTF-8`);
  return s;
}

export function readBytes(f: Field, what: string): Uint8Array {
  expect(f, WT_LEN, what);
  return f.bytes!.slice();
}

export function readSub(f: Field, what: string): Uint8Array {
  expect(f, WT_LEN, what);
  return f.bytes!;
}

/** uint32 (protobufjs keeps the low 32 bits). */
export function readUint32(f: Field, what: string): number {
  expect(f, WT_VARINT, what);
  return Number(BigInt.asUintN(32, f.varint!));
}

/** int32 / enum (the low 32 bits, signed). */
export function readInt32(f: Field, what: string): number {
  expect(f, WT_VARINT, what);
  return Number(BigInt.asIntN(32, f.varint!));
}

/** int64 as a safe integer (else ERR_BAD_MESSAGE). */
export function readInt64(f: Field, what: string): number {
  expect(f, WT_VARINT, what);
  const n = BigInt.asIntN(64, f.varint!);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) throw badMessage(`${what}: field ${f.field} is outside the range of safe integers`);
  return Number(n);
}

/** uint64 as a safe integer (else ERR_BAD_MESSAGE). */
export function readUint64(f: Field, what: string): number {
  expect(f, WT_VARINT, what);
  if (f.varint! > BigInt(Number.MAX_SAFE_INTEGER)) throw badMessage(`${what}: field ${f.field} is outside the range of safe integers`);
  return Number(f.varint!);
}

export function readBool(f: Field, what: string): boolean {
  expect(f, WT_VARINT, what);
  return f.varint! !== 0n;
}

export function readDouble(f: Field, what: string): number {
  expect(f, WT_I64, what);
  const b = f.bytes!;
  return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true);
}

/** Runs `fn` with decode errors as ERR_BAD_MESSAGE (nothing else escapes). */
export function decoding<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof Error && (err as { code?: unknown }).code === 'ERR_BAD_MESSAGE') throw err;
    throw badMessage(`${what}: malformed protobuf`, err);
  }
}
