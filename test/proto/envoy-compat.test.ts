import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import {
  decodeDiscoveryRequest,
  decodeDiscoveryResponse,
  encodeDiscoveryRequest,
  encodeDiscoveryResponse,
  WEBPUSH_MESSAGE_TYPE_URL,
} from '../../src/proto/index.js';

const { Field, MapField, OneOf, Root, Type } = protobuf;

function type(name: string, fields: Array<protobuf.Field | protobuf.MapField>, oneofs: protobuf.OneOf[] = []): protobuf.Type {
  const t = new Type(name);
  for (const f of fields) t.add(f);
  for (const o of oneofs) t.add(o);
  return t;
}

/**
 * A schema shaped like Envoy's full v3 protos (more fields than pushmesh
 * declares: Node.locality = 4, user_agent_build_version = 8, extensions = 9,
 * listening_addresses = 11, dynamic_parameters = 12,
 * DiscoveryRequest.resource_locators = 7, DiscoveryResponse.resource_errors = 7),
 * built with protobufjs reflection. It stands for a client or server
 * generated from Envoy's own protos.
 */
function envoyShapedRoot(): protobuf.Root {
  const root = new Root();
  for (const file of ['google/protobuf/any.proto', 'google/protobuf/struct.proto']) {
    const json = protobuf.common.get(file);
    assert.ok(json?.nested);
    root.addJSON(json.nested);
  }
  root.define('envoy.type.v3').add(
    type('SemanticVersion', [new Field('major_number', 1, 'uint32'), new Field('minor_number', 2, 'uint32'), new Field('patch', 3, 'uint32')]),
  );
  root.define('xds.core.v3').add(
    type('ContextParams', [new MapField('params', 1, 'string', 'string')]),
  ).add(
    type('ResourceLocator', [new Field('id', 2, 'string'), new Field('authority', 3, 'string'), new Field('resource_type', 4, 'string')]),
  );
  root.define('google.rpc').add(
    type('Status', [new Field('code', 1, 'int32'), new Field('message', 2, 'string'), new Field('details', 3, 'google.protobuf.Any', 'repeated')]),
  );
  root.define('envoy.config.core.v3')
    .add(type('Locality', [new Field('region', 1, 'string'), new Field('zone', 2, 'string'), new Field('sub_zone', 3, 'string')]))
    .add(type('BuildVersion', [new Field('version', 1, 'envoy.type.v3.SemanticVersion'), new Field('metadata', 2, 'google.protobuf.Struct')]))
    .add(
      type('Extension', [
        new Field('name', 1, 'string'),
        new Field('category', 2, 'string'),
        new Field('type_descriptor', 3, 'string'),
        new Field('version', 4, 'BuildVersion'),
        new Field('disabled', 5, 'bool'),
        new Field('type_urls', 6, 'string', 'repeated'),
      ]),
    )
    .add(type('SocketAddress', [new Field('address', 2, 'string'), new Field('port_value', 3, 'uint32')]))
    .add(type('Address', [new Field('socket_address', 1, 'SocketAddress')]))
    .add(
      type(
        'Node',
        [
          new Field('id', 1, 'string'),
          new Field('cluster', 2, 'string'),
          new Field('metadata', 3, 'google.protobuf.Struct'),
          new Field('locality', 4, 'Locality'),
          new Field('user_agent_name', 6, 'string'),
          new Field('user_agent_version', 7, 'string'),
          new Field('user_agent_build_version', 8, 'BuildVersion'),
          new Field('extensions', 9, 'Extension', 'repeated'),
          new Field('client_features', 10, 'string', 'repeated'),
          new Field('listening_addresses', 11, 'Address', 'repeated'),
          new MapField('dynamic_parameters', 12, 'string', 'xds.core.v3.ContextParams'),
        ],
        [new OneOf('user_agent_version_type', ['user_agent_version', 'user_agent_build_version'])],
      ),
    )
    .add(type('ControlPlane', [new Field('identifier', 1, 'string')]));
  root.define('envoy.service.discovery.v3')
    .add(type('ResourceName', [new Field('name', 1, 'string')]))
    .add(type('ResourceError', [new Field('resource_name', 1, 'ResourceName'), new Field('error_detail', 2, 'google.rpc.Status')]))
    .add(
      type('DiscoveryRequest', [
        new Field('version_info', 1, 'string'),
        new Field('node', 2, 'envoy.config.core.v3.Node'),
        new Field('resource_names', 3, 'string', 'repeated'),
        new Field('type_url', 4, 'string'),
        new Field('response_nonce', 5, 'string'),
        new Field('error_detail', 6, 'google.rpc.Status'),
        new Field('resource_locators', 7, 'xds.core.v3.ResourceLocator', 'repeated'),
      ]),
    )
    .add(
      type('DiscoveryResponse', [
        new Field('version_info', 1, 'string'),
        new Field('resources', 2, 'google.protobuf.Any', 'repeated'),
        new Field('canary', 3, 'bool'),
        new Field('type_url', 4, 'string'),
        new Field('nonce', 5, 'string'),
        new Field('control_plane', 6, 'envoy.config.core.v3.ControlPlane'),
        new Field('resource_errors', 7, 'ResourceError', 'repeated'),
      ]),
    );
  root.resolveAll();
  return root;
}

const envoy = envoyShapedRoot();
const EnvoyRequest = envoy.lookupType('envoy.service.discovery.v3.DiscoveryRequest');
const EnvoyResponse = envoy.lookupType('envoy.service.discovery.v3.DiscoveryResponse');

function envoyEncode(t: protobuf.Type, value: Record<string, unknown>): Uint8Array {
  const message = t.fromObject(value);
  assert.equal(t.verify(message), null);
  return t.encode(message).finish();
}

const struct = (fields: Record<string, unknown>) => ({ fields });

const fullEnvoyNode = {
  id: 'sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local',
  cluster: 'edge',
  metadata: struct({ ISTIO_VERSION: { stringValue: '1.22' }, ratio: { numberValue: 0.5 }, on: { boolValue: true } }),
  locality: { region: 'eu-west1', zone: 'b', sub_zone: 'rack7' },
  user_agent_name: 'envoy',
  user_agent_version: '1.31.0',
  extensions: [
    { name: 'envoy.filters.http.router', category: 'envoy.filters.http', type_urls: ['type.googleapis.com/envoy.extensions.filters.http.router.v3.Router'] },
    { name: 'envoy.transport_sockets.tls', category: 'envoy.transport_sockets.upstream', version: { version: { major_number: 3 } }, disabled: true },
  ],
  client_features: ['envoy.lb.does_not_support_overprovisioning', 'xds.config.resource-in-sotw'],
  listening_addresses: [{ socket_address: { address: '0.0.0.0', port_value: 15001 } }],
  dynamic_parameters: { 'type.googleapis.com/envoy.config.cluster.v3.Cluster': { params: { shard: '3' } } },
};

describe('messages from Envoy-shaped clients and servers', () => {
  it('a DiscoveryRequest with a full Envoy Node and resource_locators decodes with our types', () => {
    const bytes = envoyEncode(EnvoyRequest, {
      version_info: '2024-01-01T00:00:00Z/7',
      node: fullEnvoyNode,
      resource_names: ['a', 'b'],
      type_url: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
      response_nonce: 'n-41',
      error_detail: { code: 3, message: 'rejected: bad cluster', details: [{ type_url: 'type.googleapis.com/x.Y', value: Buffer.from([1, 2, 3]) }] },
      resource_locators: [{ id: 'c1', authority: 'xds.example', resource_type: 'envoy.config.cluster.v3.Cluster' }],
    });
    const req = decodeDiscoveryRequest(bytes);
    assert.deepEqual(req, {
      versionInfo: '2024-01-01T00:00:00Z/7',
      node: {
        id: fullEnvoyNode.id,
        cluster: 'edge',
        metadata: { ISTIO_VERSION: '1.22', ratio: 0.5, on: true },
        userAgentName: 'envoy',
        userAgentVersion: '1.31.0',
        clientFeatures: fullEnvoyNode.client_features,
      },
      resourceNames: ['a', 'b'],
      typeUrl: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
      responseNonce: 'n-41',
      errorDetail: { code: 3, message: 'rejected: bad cluster', details: [{ typeUrl: 'type.googleapis.com/x.Y', value: Buffer.from([1, 2, 3]) }] },
      pushmeshResources: [],
    });
  });

  it('a Node whose oneof holds user_agent_build_version (8) decodes, without a user_agent_version', () => {
    const { user_agent_version: _omit, ...rest } = fullEnvoyNode;
    const bytes = envoyEncode(EnvoyRequest, {
      node: { ...rest, user_agent_build_version: { version: { major_number: 1, minor_number: 31 }, metadata: struct({}) } },
    });
    const req = decodeDiscoveryRequest(bytes);
    assert.equal(req.node?.userAgentName, 'envoy');
    assert.equal(req.node?.userAgentVersion, undefined);
    assert.equal(req.node?.id, fullEnvoyNode.id);
  });

  it('a DiscoveryResponse with resource_errors (7) decodes with our types', () => {
    const bytes = envoyEncode(EnvoyResponse, {
      version_info: 'v9',
      resources: [{ type_url: WEBPUSH_MESSAGE_TYPE_URL, value: Buffer.from('abc') }],
      canary: true,
      type_url: WEBPUSH_MESSAGE_TYPE_URL,
      nonce: 'N9',
      control_plane: { identifier: 'istiod-1' },
      resource_errors: [{ resource_name: { name: 'x' }, error_detail: { code: 5, message: 'missing' } }],
    });
    assert.deepEqual(decodeDiscoveryResponse(bytes), {
      versionInfo: 'v9',
      resources: [{ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value: Buffer.from('abc') }],
      canary: true,
      typeUrl: WEBPUSH_MESSAGE_TYPE_URL,
      nonce: 'N9',
      controlPlane: { identifier: 'istiod-1' },
    });
  });

  it('our DiscoveryRequest (with pushmesh_resources at 1000) decodes with the Envoy-shaped schema', () => {
    const bytes = encodeDiscoveryRequest({
      versionInfo: 'v1',
      node: { id: 'node-a', userAgentName: 'pushmesh', userAgentVersion: '0.1.0', metadata: { k: ['x', 1, null] } },
      typeUrl: WEBPUSH_MESSAGE_TYPE_URL,
      responseNonce: 'r1',
      errorDetail: { code: 5, message: 'no_route' },
      pushmeshResources: [{ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value: Buffer.from([9, 9]) }],
    });
    const seen = EnvoyRequest.toObject(EnvoyRequest.decode(bytes), { defaults: false, oneofs: true });
    assert.equal(seen.version_info, 'v1');
    assert.equal(seen.type_url, WEBPUSH_MESSAGE_TYPE_URL);
    assert.equal(seen.response_nonce, 'r1');
    assert.equal(seen.node.id, 'node-a');
    assert.equal(seen.node.user_agent_name, 'pushmesh');
    assert.equal(seen.node.user_agent_version, '0.1.0');
    assert.equal(seen.node.user_agent_version_type, 'user_agent_version');
    assert.deepEqual(seen.error_detail, { code: 5, message: 'no_route' });
    assert.equal(seen.resource_locators, undefined, 'field 1000 is not mistaken for resource_locators');
  });

  it('our DiscoveryResponse decodes with the Envoy-shaped schema', () => {
    const bytes = encodeDiscoveryResponse({
      versionInfo: '3',
      resources: [{ typeUrl: WEBPUSH_MESSAGE_TYPE_URL, value: Buffer.from([1]) }],
      typeUrl: WEBPUSH_MESSAGE_TYPE_URL,
      nonce: 'abc',
      controlPlane: { identifier: 'me' },
    });
    const seen = EnvoyResponse.toObject(EnvoyResponse.decode(bytes), { defaults: false });
    assert.equal(seen.version_info, '3');
    assert.equal(seen.nonce, 'abc');
    assert.equal(seen.type_url, WEBPUSH_MESSAGE_TYPE_URL);
    assert.equal(seen.resources.length, 1);
    assert.equal(seen.resources[0].type_url, WEBPUSH_MESSAGE_TYPE_URL);
    assert.deepEqual(seen.control_plane, { identifier: 'me' });
  });
});
