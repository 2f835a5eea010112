import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Options as ProtoLoaderOptions } from '@grpc/proto-loader';

/** The .proto files pushmesh loads, relative to PROTO_DIR (also their import names). */
export const PROTO_FILES = {
  message: 'pushmesh/v1/message.proto',
  routing: 'pushmesh/v1/routing.proto',
  card: 'pushmesh/v1/card.proto',
  ads: 'pushmesh/v1/ads.proto',
  discovery: 'envoy/service/discovery/v3/discovery.proto',
  core: 'envoy/config/core/v3/base.proto',
  status: 'google/rpc/status.proto',
} as const;

/**
 * Walks up from this module to the package root (the first folder with
 * `proto/pushmesh/v1/message.proto`), so the path is right from `src/`,
 * from `dist/src/` and from an installed package (`files` ships `proto/`).
 */
function findProtoDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, PROTO_FILES.message))) return candidate;
    if (dirname(dir) === dir) break;
  }
  // Not found: the layout of a build (dist/src/proto); loading then fails with ERR_IO naming it.
  return resolve(here, '../../../proto');
}

/** Absolute path of the package's `proto/` folder (the buf module root). */
export const PROTO_DIR: string = findProtoDir();

/**
 * Options for `@grpc/proto-loader`'s `loadSync(PROTO_FILES.discovery, PROTO_LOADER_OPTIONS)`,
 * as the gRPC transport loads the ADS service (src/transport/grpc/ads-service.ts).
 * Well-known types (google/protobuf/any.proto, struct.proto) come from
 * protobufjs's bundled definitions; everything else from PROTO_DIR.
 * Field names stay snake_case, as in grpc-js examples.
 */
export const PROTO_LOADER_OPTIONS: Readonly<ProtoLoaderOptions> = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
});
