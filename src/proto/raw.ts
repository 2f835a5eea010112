import type protobuf from 'protobufjs';
import { asBadMessage, badMessage } from '../message/bad-message.js';
import { protoType } from './root.js';

/** Plain-object form protobufjs gives back; every field present (defaults on). */
export type RawObject = Record<string, unknown>;

const TO_OBJECT: protobuf.IConversionOptions = {
  longs: String, // int64 as a decimal string: checked to be a safe integer by the caller
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
};

/**
 * Decodes `bytes` as the protobuf message `typeName` into a plain object.
 * Any failure (truncation, bad wire type, bad UTF-8, nesting too deep, not
 * bytes at all) becomes ERR_BAD_MESSAGE with the parser's error as cause.
 */
export function decodeRaw(typeName: string, bytes: unknown): RawObject {
  if (!(bytes instanceof Uint8Array)) throw badMessage(`${typeName}: input is not bytes`);
  const type = protoType(typeName);
  try {
    return type.toObject(type.decode(bytes), TO_OBJECT);
  } catch (err) {
    throw badMessage(`${typeName}: malformed protobuf`, err);
  }
}

/**
 * decodeRaw, then `map` to the typed form (which validates). Whatever
 * `map` throws comes out as ERR_BAD_MESSAGE too.
 */
export function decodeMapped<T>(typeName: string, bytes: unknown, map: (raw: RawObject) => T): T {
  const raw = decodeRaw(typeName, bytes);
  try {
    return map(raw);
  } catch (err) {
    throw asBadMessage(err, `${typeName}: invalid`);
  }
}

/** Encodes a plain object (camelCase fields) as the protobuf message `typeName`. */
export function encodeRaw(typeName: string, value: RawObject): Buffer {
  const out = protoType(typeName).encode(value).finish();
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

// Readers for decoded plain objects. protobufjs already typed the fields;
// these only narrow `unknown` and guard against surprises.

export function str(value: unknown, field: string): string {
  if (typeof value !== 'string') throw badMessage(`${field} is not a string`);
  return value;
}

export function strList(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw badMessage(`${field} is not a list`);
  return value.map((v) => str(v, field));
}

export function bool(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw badMessage(`${field} is not a boolean`);
  return value;
}

export function int(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw badMessage(`${field} is not an integer`);
  return value;
}

/**
 * Bytes of a decoded message as a view into the decoder's input, without
 * a copy: for hot paths whose input buffer nobody changes afterwards (a
 * frame received from a socket). Anything else is not bytes.
 */
export function bytesView(value: unknown, field: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  return bytes(value, field);
}

/** Copies bytes out of the decoder's buffer, so later changes to the input cannot reach them. */
export function bytes(value: unknown, field: string): Buffer {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (Array.isArray(value) && value.every((b) => Number.isInteger(b))) return Buffer.from(value as number[]);
  throw badMessage(`${field} is not bytes`);
}

/** An int64 decoded as a decimal string, as a JavaScript safe integer. */
export function int64(value: unknown, field: string): number {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^-?\d{1,20}$/.test(text)) throw badMessage(`${field} is not an int64`);
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw badMessage(`${field} is outside the range of safe integers`);
  return n;
}

/** A nested message field: undefined when absent (protobufjs gives null). */
export function sub(value: unknown, field: string): RawObject | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw badMessage(`${field} is not a message`);
  return value as RawObject;
}

export function subList(value: unknown, field: string): RawObject[] {
  if (!Array.isArray(value)) throw badMessage(`${field} is not a list`);
  return value.map((v) => {
    const o = sub(v, field);
    if (!o) throw badMessage(`${field} holds an empty entry`);
    return o;
  });
}

/**
 * Decodes `bytes` as `typeName` into protobufjs's message instance (no
 * plain-object copy: faster on hot paths). Fields not present read as
 * their defaults from the prototype; repeated fields may be a shared
 * frozen empty array, so copy before changing one. ERR_BAD_MESSAGE on
 * any parse failure.
 */
export function decodeInstance(typeName: string, bytes: unknown): RawObject {
  if (!(bytes instanceof Uint8Array)) throw badMessage(`${typeName}: input is not bytes`);
  try {
    return protoType(typeName).decode(bytes) as unknown as RawObject;
  } catch (err) {
    throw badMessage(`${typeName}: malformed protobuf`, err);
  }
}

/** An int64 field of a decoded instance (a number, or a Long when long.js is present) as a safe integer. */
export function int64Of(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw badMessage(`${field} is outside the range of safe integers`);
    return value;
  }
  if (typeof value === 'object' && value !== null && 'low' in value && 'high' in value) {
    const { low, high, unsigned } = value as { low: number; high: number; unsigned?: boolean };
    const n = (unsigned ? high >>> 0 : high) * 4294967296 + (low >>> 0);
    if (!Number.isSafeInteger(n)) throw badMessage(`${field} is outside the range of safe integers`);
    return n;
  }
  return int64(value, field);
}

/** The plain-object form (as decodeRaw gives) of a sub-message of a decoded instance. */
export function toPlain(typeName: string, instance: unknown): RawObject {
  const type = protoType(typeName);
  return type.toObject(instance as protobuf.Message, TO_OBJECT);
}
