import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { PushmeshError } from '../../errors/index.js';
import { PROTO_DIR, PROTO_FILES, PROTO_LOADER_OPTIONS } from '../../proto/index.js';

/** Envoy's Aggregated Discovery Service and its one method, as proto/envoy/service/discovery/v3/discovery.proto names them. */
const SERVICE_NAME = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
const METHOD_NAME = 'StreamAggregatedResources';

const identity = (b: Buffer): Buffer => b;

/**
 * The ADS service as `@grpc/proto-loader` reads it from `proto/` (path,
 * streaming flags, names), with messages left as bytes: the link code
 * encodes and decodes DiscoveryRequest/DiscoveryResponse itself
 * (src/proto, the fast frames of src/transport/ads), so grpc-js only
 * frames them. Loaded once, when this module is first imported.
 */
function loadAdsService(): ServiceDefinition {
  let loaded: protoLoader.PackageDefinition;
  try {
    loaded = protoLoader.loadSync(PROTO_FILES.discovery, { ...PROTO_LOADER_OPTIONS });
  } catch (err) {
    throw new PushmeshError('ERR_IO', `cannot load ${PROTO_FILES.discovery} from ${PROTO_DIR}`, { cause: err });
  }
  const service = loaded[SERVICE_NAME] as Record<string, protoLoader.MethodDefinition<object, object> | undefined> | undefined;
  const method = service?.[METHOD_NAME];
  if (!method?.requestStream || !method.responseStream) {
    throw new PushmeshError('ERR_IO', `${PROTO_FILES.discovery} in ${PROTO_DIR} has no bidirectional ${SERVICE_NAME}.${METHOD_NAME}`);
  }
  const bytes: MethodDefinition<Buffer, Buffer> = {
    path: method.path,
    requestStream: true,
    responseStream: true,
    ...(method.originalName === undefined ? {} : { originalName: method.originalName }),
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
  return { [METHOD_NAME]: bytes };
}

/** The ADS service for grpc-js's `Server.addService`, messages as bytes. */
export const ADS_SERVICE: ServiceDefinition = loadAdsService();

/** Full gRPC method path of Envoy's ADS stream (`/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources`). */
export const ADS_METHOD_PATH: string = ADS_SERVICE[METHOD_NAME]!.path;
