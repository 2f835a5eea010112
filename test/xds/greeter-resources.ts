/** Envoy resources (proto3 JSON) that route `xds:///greeter` to one endpoint: what an owner signs in these tests. */
export function greeterResources(port: number, host = '127.0.0.1'): Record<string, unknown>[] {
  return [
    {
      '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener',
      name: 'greeter',
      apiListener: {
        apiListener: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
          rds: { configSource: { ads: {}, resourceApiVersion: 'V3' }, routeConfigName: 'greeter-route' },
          httpFilters: [{ name: 'router', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
        },
      },
    },
    {
      '@type': 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
      name: 'greeter-route',
      virtualHosts: [{ name: 'greeter', domains: ['greeter'], routes: [{ match: { prefix: '' }, route: { cluster: 'greeter-cluster' } }] }],
    },
    {
      '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
      name: 'greeter-cluster',
      type: 'EDS',
      connectTimeout: '0.25s',
      edsClusterConfig: { edsConfig: { ads: {}, resourceApiVersion: 'V3' } },
      lbPolicy: 'ROUND_ROBIN',
    },
    endpointResource(port, host),
  ];
}

/** The ClusterLoadAssignment of `greeter-cluster`: one endpoint. */
export function endpointResource(port: number, host = '127.0.0.1'): Record<string, unknown> {
  return {
    '@type': 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
    clusterName: 'greeter-cluster',
    endpoints: [{ locality: { region: 'local' }, loadBalancingWeight: 1, lbEndpoints: [{ endpoint: { address: { socketAddress: { address: host, portValue: port } } } }] }],
  };
}
