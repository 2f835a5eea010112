import { isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import { PushmeshError } from '../errors/index.js';
import { useNativeStrictStrings } from './fast-strings.js';
import { PROTO_DIR, PROTO_FILES } from './paths.js';

let cached: protobuf.Root | undefined;
const types = new Map<string, protobuf.Type>();

/**
 * The protobufjs Root holding every pushmesh .proto file, loaded once and
 * resolved. Imports resolve against PROTO_DIR, like protoc's `-I proto`;
 * `google/protobuf/*` come from protobufjs's bundled common definitions.
 * Field names are camelCase (protobufjs's default).
 */
export function protoRoot(): protobuf.Root {
  if (cached) return cached;
  useNativeStrictStrings();
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string) => (isAbsolute(target) ? target : join(PROTO_DIR, target));
  try {
    root.loadSync(Object.values(PROTO_FILES), { keepCase: false });
    root.resolveAll();
  } catch (err) {
    throw new PushmeshError('ERR_IO', `cannot load the .proto files from ${PROTO_DIR}`, { cause: err });
  }
  cached = root;
  return root;
}

/** A message type of the loaded root, by full name without the leading dot. */
export function protoType(fullName: string): protobuf.Type {
  let t = types.get(fullName);
  if (!t) types.set(fullName, (t = protoRoot().lookupType(fullName)));
  return t;
}
