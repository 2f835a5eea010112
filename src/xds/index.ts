/**
 * The xDS control plane (docs/xds.md): Envoy's ADS, state of the world,
 * serving the resources of signed configs of one namespace to gRPC and
 * Envoy clients on the node's machine.
 */
export { XDS_TYPES, XDS_TYPE_URLS, WILDCARD_TYPES, envoyRoot, typeForUrl, type XdsTypeUrl } from './envoy-protos.js';
export { ProtoJsonError, fromProtoJson, encodeProtoJson, jsonName } from './proto-json.js';
export { parseXdsResources, XdsResourceError, MAX_RESOURCES_PER_CONFIG, type XdsResource } from './resources.js';
export { XdsSnapshotBuilder, snapshotVersion, type XdsSnapshot, type XdsRefusal } from './snapshot.js';
export { AdsStream, type DiscoveryRequest, type DiscoveryResponse, type AdsStreamEvents } from './ads-stream.js';
export { DeltaAdsStream, resourceVersion, type DeltaDiscoveryRequest, type DeltaDiscoveryResponse, type DeltaStreamEvents } from './delta-stream.js';
export { XdsServer, type XdsServerOptions } from './xds-server.js';
