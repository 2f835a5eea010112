import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import {
  decodeDiscoveryRequest,
  encodeDiscoveryResponse,
  PROTO_DIR,
  PROTO_FILES,
  PROTO_LOADER_OPTIONS,
  WEBPUSH_MESSAGE_TYPE_URL,
} from '../../src/proto/index.js';
import { ADS_METHOD_PATH, ADS_SERVICE } from '../../src/transport/grpc/ads-service.js';

describe('proto directory and @grpc/proto-loader options', () => {
  it('PROTO_DIR is the package proto/ folder and holds every file', () => {
    for (const file of Object.values(PROTO_FILES)) assert.ok(existsSync(join(PROTO_DIR, file)), file);
  });

  it('loadSync with PROTO_LOADER_OPTIONS gives the ADS service, wire-compatible with our codec', () => {
    const definition = protoLoader.loadSync(PROTO_FILES.discovery, { ...PROTO_LOADER_OPTIONS });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      envoy: { service: { discovery: { v3: { AggregatedDiscoveryService: grpc.ServiceClientConstructor } } } };
    };
    const method = loaded.envoy.service.discovery.v3.AggregatedDiscoveryService.service.StreamAggregatedResources;
    assert.ok(method);
    assert.equal(method.path, '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources');
    assert.equal(method.requestStream, true);
    assert.equal(method.responseStream, true);

    const bytes = method.requestSerialize({
      version_info: 'v1',
      type_url: WEBPUSH_MESSAGE_TYPE_URL,
      node: { id: 'n1', user_agent_name: 'pushmesh', user_agent_version: '0.1.0' },
      pushmesh_resources: [{ type_url: WEBPUSH_MESSAGE_TYPE_URL, value: Buffer.from([1, 2, 3]) }],
    });
    const req = decodeDiscoveryRequest(bytes);
    assert.equal(req.versionInfo, 'v1');
    assert.equal(req.node?.userAgentVersion, '0.1.0');
    assert.deepEqual(req.pushmeshResources, [{ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value: Buffer.from([1, 2, 3]) }]);

    const res = method.responseDeserialize(encodeDiscoveryResponse({ nonce: 'n', typeUrl: WEBPUSH_MESSAGE_TYPE_URL, resources: [{ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value: Buffer.from([4]) }] })) as {
      nonce: string;
      resources: Array<{ type_url: string; value: Buffer }>;
    };
    assert.equal(res.nonce, 'n');
    assert.equal(res.resources[0]?.type_url, WEBPUSH_MESSAGE_TYPE_URL);
    assert.deepEqual(Buffer.from(res.resources[0]!.value), Buffer.from([4]));
  });

  it('ADS_SERVICE (what the gRPC listener serves) is the loaded method with bytes passed through as they are', () => {
    const definition = protoLoader.loadSync(PROTO_FILES.discovery, { ...PROTO_LOADER_OPTIONS });
    const loaded = (definition['envoy.service.discovery.v3.AggregatedDiscoveryService'] as protoLoader.ServiceDefinition).StreamAggregatedResources!;
    const ours = ADS_SERVICE.StreamAggregatedResources!;
    assert.deepEqual(Object.keys(ADS_SERVICE), ['StreamAggregatedResources']);
    assert.equal(ours.path, loaded.path);
    assert.equal(ADS_METHOD_PATH, '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources');
    assert.equal(ours.requestStream, true);
    assert.equal(ours.responseStream, true);
    assert.equal(ours.originalName, loaded.originalName);
    const frame = encodeDiscoveryResponse({ nonce: 'n', typeUrl: WEBPUSH_MESSAGE_TYPE_URL });
    for (const f of [ours.requestSerialize, ours.requestDeserialize, ours.responseSerialize, ours.responseDeserialize]) assert.equal(f(frame), frame);
  });
});
