import protobuf from 'protobufjs';
import { typeForUrl } from './envoy-protos.js';

/** A value that is not valid proto3 JSON for its field; `path` says where (`filter_chains[0].filters[0].typed_config`). */
export class ProtoJsonError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path || '(resource)'}: ${detail}`);
  }
}

type Plain = Record<string, unknown>;

const INT32 = new Set(['int32', 'sint32', 'sfixed32']);
const UINT32 = new Set(['uint32', 'fixed32']);
const INT64 = new Set(['int64', 'sint64', 'sfixed64']);
const UINT64 = new Set(['uint64', 'fixed64']);
const WRAPPERS: Record<string, string> = {
  '.google.protobuf.DoubleValue': 'double',
  '.google.protobuf.FloatValue': 'float',
  '.google.protobuf.Int64Value': 'int64',
  '.google.protobuf.UInt64Value': 'uint64',
  '.google.protobuf.Int32Value': 'int32',
  '.google.protobuf.UInt32Value': 'uint32',
  '.google.protobuf.BoolValue': 'bool',
  '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BytesValue': 'bytes',
};
/** Nesting deeper than this is refused (a resource is not that deep; a hostile one could be). */
const MAX_DEPTH = 64;

const isObject = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** lowerCamelCase of a proto field name, as proto3 JSON names it. */
export function jsonName(field: protobuf.Field): string {
  const given = field.options?.['json_name'];
  if (typeof given === 'string') return given;
  return field.name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * Checks a value in proto3 JSON form (the form Envoy's docs and
 * `envoy --config-yaml` use: lowerCamel or proto field names, enums by
 * name, 64-bit integers and Durations as strings, `Any` with `@type`)
 * against `type`, strictly — an unknown field, a wrong type, two members
 * of one oneof, an `Any` of a type not loaded are errors with a path — and
 * returns the object protobufjs's `Type.fromObject` takes (proto field
 * names; `Any` already encoded).
 */
export function fromProtoJson(type: protobuf.Type, json: unknown, path = ''): Plain {
  return message(type, json, path, 0);
}

/** Encodes a proto3 JSON value of `type` into protobuf bytes (throws ProtoJsonError). */
export function encodeProtoJson(type: protobuf.Type, json: unknown, path = ''): Uint8Array {
  const plain = fromProtoJson(type, json, path);
  return type.encode(type.fromObject(plain)).finish();
}

function message(type: protobuf.Type, json: unknown, path: string, depth: number): Plain {
  if (depth > MAX_DEPTH) throw new ProtoJsonError(path, `nested deeper than ${MAX_DEPTH}`);
  const special = wellKnown(type, json, path, depth);
  if (special !== undefined) return special;
  if (!isObject(json)) throw new ProtoJsonError(path, `expected an object (${type.name})`);
  const out: Plain = {};
  const oneofSeen = new Map<string, string>();
  for (const [key, value] of Object.entries(json)) {
    const at = path ? `${path}.${key}` : key;
    const field = fieldFor(type, key);
    if (!field) throw new ProtoJsonError(at, `no field "${key}" in ${type.fullName.slice(1)}`);
    if (value === undefined || (value === null && field.resolvedType?.fullName !== '.google.protobuf.Value')) continue; // null: the default
    if (field.partOf) {
      const other = oneofSeen.get(field.partOf.name);
      if (other !== undefined) throw new ProtoJsonError(at, `"${key}" and "${other}" are both set, but they are one oneof (${field.partOf.name})`);
      oneofSeen.set(field.partOf.name, key);
    }
    if (out[field.name] !== undefined) throw new ProtoJsonError(at, `field ${field.name} given twice`);
    out[field.name] = fieldValue(field, value, at, depth);
  }
  return out;
}

function fieldFor(type: protobuf.Type, key: string): protobuf.Field | undefined {
  const direct = type.fields[key];
  if (direct) return direct;
  for (const f of type.fieldsArray) if (jsonName(f) === key) return f;
  return undefined;
}

function fieldValue(field: protobuf.Field, value: unknown, path: string, depth: number): unknown {
  if (field instanceof protobuf.MapField) {
    if (!isObject(value)) throw new ProtoJsonError(path, 'expected an object (a map)');
    const out: Plain = {};
    for (const [k, v] of Object.entries(value)) {
      mapKey(field.keyType, k, `${path}[${JSON.stringify(k)}]`);
      out[k] = single(field, v, `${path}[${JSON.stringify(k)}]`, depth);
    }
    return out;
  }
  if (field.repeated) {
    if (!Array.isArray(value)) throw new ProtoJsonError(path, 'expected a list');
    return value.map((v, i) => single(field, v, `${path}[${i}]`, depth));
  }
  return single(field, value, path, depth);
}

function mapKey(keyType: string, key: string, path: string): void {
  if (keyType === 'string') return;
  if (keyType === 'bool') {
    if (key !== 'true' && key !== 'false') throw new ProtoJsonError(path, 'map key must be true or false');
    return;
  }
  scalar(keyType, /^-?\d+$/.test(key) ? key : NaN, path);
}

function single(field: protobuf.Field, value: unknown, path: string, depth: number): unknown {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return message(rt, value, path, depth + 1);
  if (rt instanceof protobuf.Enum) return enumValue(rt, value, path);
  return scalar(field.type, value, path);
}

function enumValue(e: protobuf.Enum, value: unknown, path: string): number {
  if (typeof value === 'string') {
    const n = e.values[value];
    if (n === undefined) throw new ProtoJsonError(path, `"${value}" is not one of ${Object.keys(e.values).join(', ')}`);
    return n;
  }
  if (typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31) return value;
  throw new ProtoJsonError(path, `expected an enum name of ${e.name}`);
}

function scalar(type: string, value: unknown, path: string): unknown {
  if (type === 'string') {
    if (typeof value !== 'string') throw new ProtoJsonError(path, 'expected a string');
    return value;
  }
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw new ProtoJsonError(path, 'expected true or false');
    return value;
  }
  if (type === 'bytes') {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) throw new ProtoJsonError(path, 'expected base64 bytes');
    return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  }
  if (type === 'double' || type === 'float') {
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    if (value === 'NaN') return NaN;
    if (value === 'Infinity') return Infinity;
    if (value === '-Infinity') return -Infinity;
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
    throw new ProtoJsonError(path, 'expected a number');
  }
  const big = integer(value, path);
  const [lo, hi] = INT32.has(type) ? [-(2n ** 31n), 2n ** 31n - 1n] : UINT32.has(type) ? [0n, 2n ** 32n - 1n] : INT64.has(type) ? [-(2n ** 63n), 2n ** 63n - 1n] : UINT64.has(type) ? [0n, 2n ** 64n - 1n] : [1n, 0n];
  if (lo > hi) throw new ProtoJsonError(path, `unsupported field type ${type}`);
  if (big < lo || big > hi) throw new ProtoJsonError(path, `${big} is out of range for ${type}`);
  return INT64.has(type) || UINT64.has(type) ? big.toString() : Number(big);
}

function integer(value: unknown, path: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) return BigInt(value);
  throw new ProtoJsonError(path, 'expected a whole number');
}

/** The well-known types whose JSON form is not an object of their fields; undefined for every other type. */
function wellKnown(type: protobuf.Type, json: unknown, path: string, depth: number): Plain | undefined {
  const name = type.fullName;
  const wrapped = WRAPPERS[name];
  if (wrapped !== undefined) return { value: scalar(wrapped, json, path) };
  switch (name) {
    case '.google.protobuf.Any':
      return any(type, json, path, depth);
    case '.google.protobuf.Duration':
      return duration(json, path);
    case '.google.protobuf.Timestamp':
      return timestamp(json, path);
    case '.google.protobuf.FieldMask':
      if (typeof json !== 'string') throw new ProtoJsonError(path, 'expected a field mask string');
      return { paths: json === '' ? [] : json.split(',').map((p) => p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)) };
    case '.google.protobuf.Struct':
      if (!isObject(json)) throw new ProtoJsonError(path, 'expected an object');
      return structOf(json, path, depth);
    case '.google.protobuf.Value':
      return valueOf(json, path, depth);
    case '.google.protobuf.ListValue':
      if (!Array.isArray(json)) throw new ProtoJsonError(path, 'expected a list');
      return { values: json.map((v, i) => valueOf(v, `${path}[${i}]`, depth + 1)) };
    case '.google.protobuf.Empty':
      if (!isObject(json) || Object.keys(json).length > 0) throw new ProtoJsonError(path, 'expected {}');
      return {};
    default:
      return undefined;
  }
}

function any(type: protobuf.Type, json: unknown, path: string, depth: number): Plain {
  if (!isObject(json) || typeof json['@type'] !== 'string') throw new ProtoJsonError(path, 'expected an object with "@type"');
  const typeUrl = json['@type'];
  const inner = typeUrl.includes('/') ? typeForUrl(type.root as protobuf.Root, typeUrl) : undefined;
  if (!inner) throw new ProtoJsonError(`${path}.@type`, `unknown type "${typeUrl}"`);
  const { '@type': _t, ...rest } = json;
  const body = inner.fullName.startsWith('.google.protobuf.') && wellKnownJsonIsNotObject(inner.fullName) ? rest['value'] : rest;
  if (body !== rest && Object.keys(rest).some((k) => k !== 'value')) throw new ProtoJsonError(path, `an Any of ${inner.fullName.slice(1)} has only "value"`);
  const plain = message(inner, body, path, depth + 1);
  return { type_url: typeUrl, value: inner.encode(inner.fromObject(plain)).finish() };
}

function wellKnownJsonIsNotObject(fullName: string): boolean {
  return fullName !== '.google.protobuf.Any' && fullName !== '.google.protobuf.Empty' && (fullName in WRAPPERS || ['.google.protobuf.Duration', '.google.protobuf.Timestamp', '.google.protobuf.FieldMask', '.google.protobuf.Struct', '.google.protobuf.Value', '.google.protobuf.ListValue'].includes(fullName));
}

function duration(json: unknown, path: string): Plain {
  const m = typeof json === 'string' ? /^(-)?(\d{1,12})(?:\.(\d{1,9}))?s$/.exec(json) : null;
  if (!m) throw new ProtoJsonError(path, 'expected a duration like "1.5s"');
  const sign = m[1] ? -1 : 1;
  const seconds = Number(m[2]);
  const nanos = Number((m[3] ?? '').padEnd(9, '0'));
  return { seconds: String(sign * seconds), nanos: sign * nanos };
}

function timestamp(json: unknown, path: string): Plain {
  const ms = typeof json === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/.test(json) ? Date.parse(json) : NaN;
  if (!Number.isFinite(ms)) throw new ProtoJsonError(path, 'expected an RFC 3339 timestamp');
  const frac = /\.(\d{1,9})/.exec(json as string)?.[1] ?? '';
  return { seconds: String(Math.floor(ms / 1000)), nanos: Number(frac.padEnd(9, '0')) };
}

function structOf(json: Plain, path: string, depth: number): Plain {
  const fields: Plain = {};
  for (const [k, v] of Object.entries(json)) fields[k] = valueOf(v, `${path}.${k}`, depth + 1);
  return { fields };
}

function valueOf(json: unknown, path: string, depth: number): Plain {
  if (depth > MAX_DEPTH) throw new ProtoJsonError(path, `nested deeper than ${MAX_DEPTH}`);
  if (json === null) return { null_value: 0 };
  if (typeof json === 'number') return { number_value: json };
  if (typeof json === 'string') return { string_value: json };
  if (typeof json === 'boolean') return { bool_value: json };
  if (Array.isArray(json)) return { list_value: { values: json.map((v, i) => valueOf(v, `${path}[${i}]`, depth + 1)) } };
  if (isObject(json)) return { struct_value: structOf(json, path, depth) };
  throw new ProtoJsonError(path, 'not a JSON value');
}
