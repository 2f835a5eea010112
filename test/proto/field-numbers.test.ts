import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type protobuf from 'protobufjs';
import { protoRoot } from '../../src/proto/index.js';

/**
 * Envoy v3 field numbers (envoy/service/discovery/v3/discovery.proto,
 * envoy/config/core/v3/base.proto) and google.rpc.Status, written down
 * here from the published definitions: [proto name, number, type, repeated].
 */
type FieldFact = [name: string, id: number, type: string, repeated?: 'repeated'];

const ENVOY_V3: Record<string, FieldFact[]> = {
  'envoy.service.discovery.v3.DiscoveryRequest': [
    ['version_info', 1, 'string'],
    ['node', 2, 'envoy.config.core.v3.Node'],
    ['resource_names', 3, 'string', 'repeated'],
    ['type_url', 4, 'string'],
    ['response_nonce', 5, 'string'],
    ['error_detail', 6, 'google.rpc.Status'],
  ],
  'envoy.service.discovery.v3.DiscoveryResponse': [
    ['version_info', 1, 'string'],
    ['resources', 2, 'google.protobuf.Any', 'repeated'],
    ['canary', 3, 'bool'],
    ['type_url', 4, 'string'],
    ['nonce', 5, 'string'],
    ['control_plane', 6, 'envoy.config.core.v3.ControlPlane'],
  ],
  'envoy.config.core.v3.Node': [
    ['id', 1, 'string'],
    ['cluster', 2, 'string'],
    ['metadata', 3, 'google.protobuf.Struct'],
    ['user_agent_name', 6, 'string'],
    ['user_agent_version', 7, 'string'],
    ['client_features', 10, 'string', 'repeated'],
  ],
  'envoy.config.core.v3.ControlPlane': [['identifier', 1, 'string']],
  'google.rpc.Status': [
    ['code', 1, 'int32'],
    ['message', 2, 'string'],
    ['details', 3, 'google.protobuf.Any', 'repeated'],
  ],
};

/** Numbers Envoy uses for fields pushmesh does not declare: never to be taken. */
const ENVOY_TAKEN: Record<string, number[]> = {
  'envoy.service.discovery.v3.DiscoveryRequest': [7], // resource_locators
  'envoy.service.discovery.v3.DiscoveryResponse': [7], // resource_errors
  'envoy.config.core.v3.Node': [4, 5, 8, 9, 11, 12], // locality, build_version, user_agent_build_version, extensions, listening_addresses, dynamic_parameters
};

/** pushmesh's own numbers: a wire contract with other implementations (docs/wire-format.md). */
const PUSHMESH_V1: Record<string, FieldFact[]> = {
  'pushmesh.v1.WebpushMessage': [
    ['id', 1, 'string'],
    ['from', 2, 'string'],
    ['to', 3, 'string'],
    ['ttl', 4, 'uint32'],
    ['urgency', 5, 'pushmesh.v1.Urgency'],
    ['replace', 6, 'string'],
    ['time', 7, 'int64'],
    ['path', 8, 'string', 'repeated'],
    ['via', 9, 'string', 'repeated'],
    ['hop_limit', 10, 'uint32'],
    ['receipt', 11, 'bool'],
    ['authorization', 12, 'string'],
    ['body', 13, 'bytes'],
    ['sender_mac', 14, 'bytes'],
  ],
  'pushmesh.v1.RequestAnswer': [
    ['request', 1, 'uint64'],
    ['statuses', 2, 'google.rpc.Status', 'repeated'],
  ],
  'pushmesh.v1.Message': [
    ['id', 1, 'string'],
    ['from', 2, 'string'],
    ['to', 3, 'string'],
    ['topic', 4, 'string'],
    ['time', 5, 'int64'],
    ['ttl', 6, 'uint32'],
    ['urgency', 7, 'pushmesh.v1.Urgency'],
    ['replace', 8, 'string'],
    ['meta', 9, 'string'], // map<string, string>: the value type
    ['data', 10, 'bytes'],
    ['content_kind', 11, 'pushmesh.v1.ContentKind'],
  ],
};

const camel = (name: string): string => name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

function typeName(field: protobuf.Field): string {
  field.resolve();
  return field.resolvedType ? field.resolvedType.fullName.slice(1) : field.type;
}

function checkTable(table: Record<string, FieldFact[]>, extra: Record<string, string[]> = {}): void {
  for (const [messageName, facts] of Object.entries(table)) {
    it(`${messageName} has exactly the expected field numbers`, () => {
      const type = protoRoot().lookupType(messageName);
      for (const [name, id, expectedType, repeated] of facts) {
        const field = type.fields[camel(name)];
        assert.ok(field, `${messageName}.${name} is declared`);
        assert.equal(field.id, id, `${messageName}.${name} number`);
        assert.equal(typeName(field), expectedType, `${messageName}.${name} type`);
        assert.equal(field.repeated, repeated === 'repeated', `${messageName}.${name} repeated`);
      }
      const declared = type.fieldsArray.map((f) => f.name).sort();
      const expected = [...facts.map(([name]) => camel(name)), ...(extra[messageName] ?? [])].sort();
      assert.deepEqual(declared, expected, `${messageName} declares no other field`);
    });
  }
}

describe('Envoy v3 and google.rpc field numbers', () => {
  checkTable(ENVOY_V3, { 'envoy.service.discovery.v3.DiscoveryRequest': ['pushmeshResources'], 'envoy.service.discovery.v3.DiscoveryResponse': ['pushmeshAnswers'] });

  it('the pushmesh extension is field 1000, repeated google.protobuf.Any, on DiscoveryRequest only', () => {
    const field = protoRoot().lookupType('envoy.service.discovery.v3.DiscoveryRequest').fields.pushmeshResources;
    assert.ok(field);
    assert.equal(field.id, 1000);
    assert.equal(field.repeated, true);
    assert.equal(typeName(field), 'google.protobuf.Any');
  });

  it('the negotiated extension on DiscoveryResponse is field 1000, repeated pushmesh.v1.RequestAnswer', () => {
    const field = protoRoot().lookupType('envoy.service.discovery.v3.DiscoveryResponse').fields.pushmeshAnswers;
    assert.ok(field);
    assert.equal(field.id, 1000);
    assert.equal(field.repeated, true);
    assert.equal(typeName(field), 'pushmesh.v1.RequestAnswer');
  });

  it('numbers Envoy uses for other fields are reserved or free, never reused', () => {
    for (const [messageName, numbers] of Object.entries(ENVOY_TAKEN)) {
      const type = protoRoot().lookupType(messageName);
      for (const n of numbers) {
        assert.equal(type.fieldsArray.find((f) => f.id === n), undefined, `${messageName} does not use ${n}`);
      }
    }
    const request = protoRoot().lookupType('envoy.service.discovery.v3.DiscoveryRequest');
    const response = protoRoot().lookupType('envoy.service.discovery.v3.DiscoveryResponse');
    assert.ok(request.isReservedId(7) && request.isReservedName('resource_locators'));
    assert.ok(response.isReservedId(7) && response.isReservedName('resource_errors'));
  });

  it('user_agent_version is in the oneof user_agent_version_type', () => {
    const node = protoRoot().lookupType('envoy.config.core.v3.Node');
    const oneof = node.oneofs?.userAgentVersionType;
    assert.ok(oneof);
    assert.deepEqual(oneof.oneof, ['userAgentVersion']);
  });

  it('the service is AggregatedDiscoveryService.StreamAggregatedResources, streaming both ways', () => {
    const service = protoRoot().lookupService('envoy.service.discovery.v3.AggregatedDiscoveryService');
    const method = service.methods.StreamAggregatedResources;
    assert.ok(method);
    assert.equal(method.requestType, 'DiscoveryRequest');
    assert.equal(method.responseType, 'DiscoveryResponse');
    assert.equal(method.requestStream, true);
    assert.equal(method.responseStream, true);
    assert.deepEqual(Object.keys(service.methods), ['StreamAggregatedResources']);
  });
});

describe('pushmesh.v1 field numbers', () => {
  checkTable(PUSHMESH_V1);

  it('enums have the documented numbers', () => {
    assert.deepEqual({ ...protoRoot().lookupEnum('pushmesh.v1.Urgency').values }, {
      URGENCY_UNSPECIFIED: 0,
      URGENCY_VERY_LOW: 1,
      URGENCY_LOW: 2,
      URGENCY_NORMAL: 3,
      URGENCY_HIGH: 4,
    });
    assert.deepEqual({ ...protoRoot().lookupEnum('pushmesh.v1.ContentKind').values }, {
      CONTENT_KIND_UNSPECIFIED: 0,
      CONTENT_KIND_JSON: 1,
      CONTENT_KIND_TEXT: 2,
      CONTENT_KIND_BYTES: 3,
    });
  });
});
