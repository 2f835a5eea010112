import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';
import { PushmeshError } from '../errors/index.js';

/** The four resource types an xDS gRPC client needs, by type URL (docs/xds.md "Resource mapping"). */
export const XDS_TYPES = {
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoint: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
} as const;

export type XdsTypeUrl = (typeof XDS_TYPES)[keyof typeof XDS_TYPES];

/** Every type URL served, in the order the docs list them. */
export const XDS_TYPE_URLS: readonly XdsTypeUrl[] = Object.values(XDS_TYPES);

/** LDS and CDS: an empty subscription means every resource (wildcard); RDS and EDS: never. */
export const WILDCARD_TYPES: ReadonlySet<string> = new Set([XDS_TYPES.listener, XDS_TYPES.cluster]);

export const TYPE_URL_PREFIX = 'type.googleapis.com/';

/**
 * The .proto files loaded: the discovery service, the four resources, and
 * the extensions a gRPC client understands inside them (`typed_config`
 * and load-balancing policies), so a resource's `Any` fields can be
 * checked and encoded too.
 */
const PROTO_FILES = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/clusters/aggregate/v3/cluster.proto',
  'envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash.proto',
  'envoy/extensions/load_balancing_policies/wrr_locality/v3/wrr_locality.proto',
  'envoy/extensions/load_balancing_policies/pick_first/v3/pick_first.proto',
  'envoy/extensions/load_balancing_policies/client_side_weighted_round_robin/v3/client_side_weighted_round_robin.proto',
  'udpa/type/v1/typed_struct.proto',
  'xds/type/v3/typed_struct.proto',
];

/**
 * Include folders: the proto trees `@grpc/grpc-js-xds` ships under
 * `deps/` (Envoy's API, xDS/udpa, googleapis, protoc-gen-validate), and
 * protobufjs's own copy of google/protobuf (descriptor.proto).
 */
function includeDirs(): string[] {
  const require = createRequire(import.meta.url);
  let xds: string;
  let pbjs: string;
  try {
    xds = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
    pbjs = dirname(require.resolve('protobufjs/package.json'));
  } catch (err) {
    throw new PushmeshError('ERR_IO', "Envoy's .proto files not found: the package @grpc/grpc-js-xds is not installed", { cause: err });
  }
  return [...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(xds, d)), pbjs];
}

let loaded: protobuf.Root | undefined;

/**
 * Envoy's message definitions, loaded from the .proto files (field names
 * as written in them, snake_case) on first use (≈ 0.5 s) and kept.
 */
export function envoyRoot(): protobuf.Root {
  if (loaded) return loaded;
  const dirs = includeDirs();
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string => {
    for (const d of dirs) {
      const p = join(d, target);
      if (existsSync(p)) return p;
    }
    return target;
  };
  try {
    root.loadSync(PROTO_FILES, { keepCase: true });
    root.resolveAll();
  } catch (err) {
    throw new PushmeshError('ERR_IO', `cannot load Envoy's .proto files from ${dirs[0]}: ${(err as Error).message}`, { cause: err });
  }
  loaded = root;
  return root;
}

/** The message type a type URL names, or undefined when it is not loaded (or not a message). */
export function typeForUrl(root: protobuf.Root, typeUrl: string): protobuf.Type | undefined {
  const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  if (!name || !/^[A-Za-z_][\w.]*$/.test(name)) return undefined;
  try {
    const t = root.lookup(name);
    return t instanceof protobuf.Type ? t : undefined;
  } catch {
    return undefined;
  }
}
