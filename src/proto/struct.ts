import { badMessage } from '../message/bad-message.js';
import { sub, subList, type RawObject } from './raw.js';
import type { JsonObject, JsonValue } from './types.js';

// google.protobuf.Struct/Value/ListValue <-> JSON, as the protobuf JSON
// mapping defines it. Decoding depth is bounded by protobufjs's recursion
// limit (100), which decodeRaw already enforced.

/** Decoded google.protobuf.Struct (plain object) → JSON object. */
export function structToJson(raw: RawObject, field: string): JsonObject {
  const fields = sub(raw.fields, field) ?? {};
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(fields)) {
    // defineProperty keeps a "__proto__" key an ordinary own property.
    Object.defineProperty(out, key, { value: valueToJson(sub(value, field) ?? {}, field), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function valueToJson(raw: RawObject, field: string): JsonValue {
  switch (raw.kind) {
    case 'numberValue':
      if (typeof raw.numberValue !== 'number') throw badMessage(`${field}: bad number value`);
      return raw.numberValue;
    case 'stringValue':
      if (typeof raw.stringValue !== 'string') throw badMessage(`${field}: bad string value`);
      return raw.stringValue;
    case 'boolValue':
      if (typeof raw.boolValue !== 'boolean') throw badMessage(`${field}: bad bool value`);
      return raw.boolValue;
    case 'structValue':
      return structToJson(sub(raw.structValue, field) ?? {}, field);
    case 'listValue':
      return subList((sub(raw.listValue, field) ?? {}).values ?? [], field).map((v) => valueToJson(v, field));
    default:
      // nullValue, or no kind set: JSON null.
      return null;
  }
}

/** JSON object → google.protobuf.Struct plain object for encoding. */
export function jsonToStruct(value: JsonObject): RawObject {
  const fields: RawObject = {};
  for (const [key, v] of Object.entries(value)) {
    Object.defineProperty(fields, key, { value: jsonToValue(v), enumerable: true, writable: true, configurable: true });
  }
  return { fields };
}

function jsonToValue(value: JsonValue): RawObject {
  if (value === null) return { nullValue: 0 };
  switch (typeof value) {
    case 'number':
      return { numberValue: value };
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    default:
      return Array.isArray(value) ? { listValue: { values: value.map(jsonToValue) } } : { structValue: jsonToStruct(value) };
  }
}
