import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { XDS_TYPES, XdsResourceError, envoyRoot, parseXdsResources } from '../../src/xds/index.js';
import { endpointResource, greeterResources } from './greeter-resources.js';

const refusal = (data: unknown): string => {
  try {
    parseXdsResources(data);
  } catch (err) {
    assert.ok(err instanceof XdsResourceError, `XdsResourceError, not ${String(err)}`);
    assert.equal(err.code, 'ERR_BAD_ARGUMENT');
    return err.message;
  }
  assert.fail('accepted');
};

function decode(typeUrl: string, value: Uint8Array): Record<string, unknown> {
  const type = envoyRoot().lookupType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
  return type.toObject(type.decode(value), { longs: String, enums: String, bytes: String }) as Record<string, unknown>;
}

describe('xDS resources: Envoy proto3 JSON in, protobuf out', () => {
  it('encodes the four types; nested Any (typed_config) by @type; durations, wrappers, enums by name', () => {
    const out = parseXdsResources({ resources: greeterResources(8080) });
    assert.deepEqual(out.map((r) => [r.typeUrl, r.name]), [
      [XDS_TYPES.listener, 'greeter'],
      [XDS_TYPES.route, 'greeter-route'],
      [XDS_TYPES.cluster, 'greeter-cluster'],
      [XDS_TYPES.endpoint, 'greeter-cluster'],
    ]);
    const cluster = decode(XDS_TYPES.cluster, out[2]!.value);
    assert.deepEqual(cluster['connect_timeout'], { nanos: 250_000_000 });
    assert.equal(cluster['type'], 'EDS');
    const cla = decode(XDS_TYPES.endpoint, out[3]!.value) as { endpoints: { load_balancing_weight: { value: number } }[] };
    assert.deepEqual(cla.endpoints[0]!.load_balancing_weight, { value: 1 });
    const listener = decode(XDS_TYPES.listener, out[0]!.value) as { api_listener: { api_listener: { type_url: string } } };
    assert.equal(listener.api_listener.api_listener.type_url, 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
    // Proto field names work as well as lowerCamel ones, and give the same bytes.
    const snake = parseXdsResources({ resources: [{ '@type': XDS_TYPES.endpoint, cluster_name: 'greeter-cluster', endpoints: [{ locality: { region: 'local' }, load_balancing_weight: 1, lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 8080 } } } }] }] }] });
    assert.equal(snake[0]!.digest, out[3]!.digest);
  });

  it('refuses bad resources with the reason and where', () => {
    assert.match(refusal({ resources: [{ '@type': 'type.googleapis.com/envoy.config.core.v3.Secret', name: 's' }] }), /resources\[0\]: @type "type.googleapis.com\/envoy.config.core.v3.Secret" is not served/);
    assert.match(refusal({ resources: [{ name: 'x' }] }), /resources\[0\]: no "@type"/);
    assert.match(refusal({ resources: [{ ...endpointResource(1), clusterName: undefined }] }), /no clusterName/);
    assert.match(refusal({ resources: [{ ...greeterResources(1)[2], bogus: 1 }] }), /resources\[0\] \(Cluster "greeter-cluster"\): bogus: no field "bogus" in envoy.config.cluster.v3.Cluster/);
    assert.match(refusal({ resources: [{ ...greeterResources(1)[2], type: 'NOPE' }] }), /type: "NOPE" is not one of STATIC, STRICT_DNS/);
    assert.match(refusal({ resources: [{ ...greeterResources(1)[2], connectTimeout: '5 minutes' }] }), /connectTimeout: expected a duration/);
    assert.match(refusal({ resources: [{ ...endpointResource(1), endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: 'h', portValue: -1 } } } }] }] }] }), /portValue: -1 is out of range for uint32/);
    assert.match(refusal({ resources: [{ ...greeterResources(1)[2], edsClusterConfig: undefined, loadAssignment: {}, clusterType: {} }] }), /clusterType: "clusterType" and "type" are both set, but they are one oneof \(cluster_discovery_type\)/);
    const unknownFilter = structuredClone(greeterResources(1)[0]!) as { apiListener: { apiListener: { httpFilters: { typedConfig: { '@type': string } }[] } } };
    unknownFilter.apiListener.apiListener.httpFilters[0]!.typedConfig['@type'] = 'type.googleapis.com/example.NoSuchFilter';
    assert.match(refusal({ resources: [unknownFilter] }), /typedConfig\.@type: unknown type "type.googleapis.com\/example.NoSuchFilter"/);
    assert.match(refusal({ resources: [endpointResource(1), endpointResource(2)] }), /resources\[1\]: ClusterLoadAssignment "greeter-cluster" is given twice/);
    assert.match(refusal({ resources: 'all' }), /must be \{"resources": \[ … \]\}/);
    assert.match(refusal({ resources: [], extra: 1 }), /unknown key "extra"/);
    assert.match(refusal([]), /must be \{"resources"/);
  });

  it('any JSON as data or as a resource body: a result or an XdsResourceError, never another error (property)', () => {
    const typeUrl = fc.constantFrom(...Object.values(XDS_TYPES), 'type.googleapis.com/google.protobuf.Duration', 'x');
    const body = fc.dictionary(fc.constantFrom('name', 'clusterName', 'endpoints', 'type', 'connectTimeout', 'virtualHosts', 'apiListener', 'lbPolicy', 'address', 'filterChains', 'x'), fc.jsonValue({ maxDepth: 4 }));
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.array(fc.record({ '@type': typeUrl }).chain((h) => body.map((b) => ({ ...b, ...h }))), { maxLength: 4 }).map((resources) => ({ resources }))), (data) => {
        try {
          parseXdsResources(data);
        } catch (err) {
          if (!(err instanceof XdsResourceError)) throw err;
        }
      }),
      { numRuns: 400 },
    );
  });

  it('an endpoint list round-trips: what is signed is what is encoded (property)', () => {
    // Valid endpoints (rules.ts): a port 1-65535, each address:port once.
    const endpoint = fc.record({ host: fc.ipV4(), port: fc.integer({ min: 1, max: 65535 }), weight: fc.integer({ min: 1, max: 1000 }) });
    fc.assert(
      fc.property(fc.uniqueArray(endpoint, { minLength: 1, maxLength: 8, selector: (e) => `${e.host}:${e.port}` }), fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/), (eps, name) => {
        const [r] = parseXdsResources({ resources: [{ '@type': XDS_TYPES.endpoint, clusterName: name, endpoints: [{ locality: {}, loadBalancingWeight: 1, lbEndpoints: eps.map((e) => ({ loadBalancingWeight: e.weight, endpoint: { address: { socketAddress: { address: e.host, portValue: e.port } } } })) }] }] });
        const back = decode(XDS_TYPES.endpoint, r!.value) as { cluster_name: string; endpoints: { lb_endpoints: { load_balancing_weight: { value: number }; endpoint: { address: { socket_address: { address: string; port_value?: number } } } }[] }[] };
        assert.equal(back.cluster_name, name);
        assert.deepEqual(
          back.endpoints[0]!.lb_endpoints.map((l) => ({ host: l.endpoint.address.socket_address.address, port: l.endpoint.address.socket_address.port_value ?? 0, weight: l.load_balancing_weight.value })),
          eps.map((e) => ({ ...e })),
        );
      }),
      { numRuns: 200 },
    );
  });
});
