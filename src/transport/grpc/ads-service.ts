import type { ServiceDefinition } from '@grpc/grpc-js';

/** Full gRPC method path of Envoy's ADS stream. */
export const ADS_METHOD_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

const identity = (b: Buffer): Buffer => b;

/**
 * The ADS service with messages left as bytes: the link code encodes and
 * decodes DiscoveryRequest/DiscoveryResponse itself (src/proto), so
 * grpc-js only frames them.
 */
export const ADS_SERVICE: ServiceDefinition = {
  StreamAggregatedResources: {
    path: ADS_METHOD_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'streamAggregatedResources',
  },
};
