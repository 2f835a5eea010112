import { strict as assert } from 'node:assert';
import { isIP } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CONFIG_MEDIA_TYPE, signConfig } from '../../src/signed-config/index.js';
import { XDS_TYPES, XdsResourceError, parseXdsResources } from '../../src/xds/index.js';
import { pushmeshOk, runPushmesh } from '../helpers/cli.js';
import { spawnNode } from '../helpers/signed-config-nodes.js';
import { tempDir, tempHome } from '../helpers/temp-dir.js';
import { makeOwner } from '../signed-config/fixtures.js';
import { endpointResource, greeterResources } from './greeter-resources.js';

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = { name: 'router', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };
const FAULT = { name: 'fault', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault' } };

/** The reason parseXdsResources gives for `resources` (null: accepted). */
function reason(...resources: Record<string, unknown>[]): string | null {
  try {
    parseXdsResources({ resources });
    return null;
  } catch (err) {
    assert.ok(err instanceof XdsResourceError, String(err));
    return err.message;
  }
}

const listener = (hcm: Record<string, unknown>): Record<string, unknown> => ({ '@type': XDS_TYPES.listener, name: 'l', apiListener: { apiListener: { '@type': HCM, ...hcm } } });
const rds = { rds: { configSource: { ads: {} }, routeConfigName: 'r' } };
const cluster = (c: Record<string, unknown>): Record<string, unknown> => ({ '@type': XDS_TYPES.cluster, name: 'c', ...c });
const routes = (vhs: unknown[]): Record<string, unknown> => ({ '@type': XDS_TYPES.route, name: 'r', virtualHosts: vhs });
const cla = (endpoints: unknown[]): Record<string, unknown> => ({ '@type': XDS_TYPES.endpoint, clusterName: 'c', endpoints });
const sock = (address: string, portValue?: number): Record<string, unknown> => ({ endpoint: { address: { socketAddress: { address, ...(portValue === undefined ? {} : { portValue }) } } } });

describe('xDS validation rules (Envoy/protoc-gen-validate and what gRPC clients check), refused with the reason', { concurrency: true, timeout: 120_000 }, () => {
  it('the greeter resources pass', () => {
    assert.equal(reason(...greeterResources(50051)), null);
  });

  it('Listener: an HttpConnectionManager apiListener with rds (over ADS) or routeConfig, the router last', () => {
    assert.equal(reason({ '@type': XDS_TYPES.listener, name: 'l' }), 'resources[0] (Listener "l"): a Listener needs apiListener (for gRPC clients) or an address (for Envoy and gRPC servers)');
    assert.equal(reason({ '@type': XDS_TYPES.listener, name: 'l', apiListener: { apiListener: ROUTER.typedConfig } }), `resources[0] (Listener "l"): apiListener.apiListener: must be an HttpConnectionManager ("@type": "${HCM}"), not "${ROUTER.typedConfig['@type']}"`);
    assert.equal(reason(listener({ httpFilters: [ROUTER] })), 'resources[0] (Listener "l"): apiListener.apiListener: needs rds or routeConfig');
    assert.equal(reason(listener({ rds: { configSource: { ads: {} } }, httpFilters: [ROUTER] })), 'resources[0] (Listener "l"): apiListener.apiListener.rds.routeConfigName: missing: the name of the RouteConfiguration to ask for');
    assert.equal(reason(listener({ rds: { configSource: { path: '/etc/routes.yaml' }, routeConfigName: 'r' }, httpFilters: [ROUTER] })), 'resources[0] (Listener "l"): apiListener.apiListener.rds.configSource: must be { ads: {} } or { self: {} }: routes are served over ADS');
    assert.equal(reason(listener({ ...rds, httpFilters: [FAULT] })), `resources[0] (Listener "l"): apiListener.apiListener.httpFilters[0]: the last HTTP filter must be the router (${ROUTER.typedConfig['@type']}), not "${FAULT.typedConfig['@type']}"`);
    assert.equal(reason(listener({ ...rds, httpFilters: [ROUTER, ROUTER] })), 'resources[0] (Listener "l"): apiListener.apiListener.httpFilters[0]: the router must be the last HTTP filter (and 1 more)');
    assert.equal(reason(listener({ ...rds, httpFilters: [FAULT, ROUTER] })), null);
    // An inline routeConfig is checked as a RouteConfiguration.
    assert.equal(reason(listener({ routeConfig: { name: 'r', virtualHosts: [{ name: 'v', domains: [] }] }, httpFilters: [ROUTER] })), 'resources[0] (Listener "l"): apiListener.apiListener.routeConfig.virtualHosts[0].domains: at least one domain (e.g. "*")');
    assert.equal(reason({ '@type': XDS_TYPES.listener, name: 'envoy', address: { socketAddress: { address: '0.0.0.0', portValue: 10000 } } }), null);
  });

  it('RouteConfiguration: named virtual hosts with unique domains; each route a match and an action naming a cluster', () => {
    const vh = (r: unknown, more: Record<string, unknown> = {}): Record<string, unknown> => ({ name: 'v', domains: ['greeter'], routes: [r], ...more });
    assert.equal(reason(routes([vh({ match: { prefix: '' }, route: { cluster: 'c' } })])), null);
    assert.equal(reason(routes([{ domains: ['x'] }])), 'resources[0] (RouteConfiguration "r"): virtualHosts[0].name: missing');
    assert.equal(reason(routes([{ name: 'a', domains: ['*'] }, { name: 'b', domains: ['x', '*'] }])), 'resources[0] (RouteConfiguration "r"): virtualHosts[1].domains[1]: "*" is already a domain of virtualHosts[0]');
    assert.equal(reason(routes([vh({ route: { cluster: 'c' } })])), 'resources[0] (RouteConfiguration "r"): virtualHosts[0].routes[0].match: missing');
    assert.equal(reason(routes([vh({ match: {}, route: { cluster: 'c' } })])), 'resources[0] (RouteConfiguration "r"): virtualHosts[0].routes[0].match: needs prefix, path, safeRegex or another path specifier ("prefix": "" matches every path)');
    assert.equal(reason(routes([vh({ match: { prefix: '/' } })])), 'resources[0] (RouteConfiguration "r"): virtualHosts[0].routes[0]: needs an action: route, redirect or directResponse…');
    assert.equal(reason(routes([vh({ match: { prefix: '/' }, route: { timeout: '1s' } })])), 'resources[0] (RouteConfiguration "r"): virtualHosts[0].routes[0].route: needs cluster, weightedClusters or another cluster specifier');
    assert.equal(reason(routes([vh({ match: { prefix: '/' }, route: { weightedClusters: { clusters: [{ name: 'a', weight: 0 }, { name: 'b', weight: 0 }] } } })])), 'resources[0] (RouteConfiguration "r"): virtualHosts[0].routes[0].route.weightedClusters: the weights add up to 0: no cluster would ever be picked');
    assert.equal(reason(routes([vh({ match: { prefix: '/' }, route: { weightedClusters: { clusters: [{ name: 'a', weight: 1 }, { name: 'b', weight: 3 }] } } })])), null);
  });

  it('Cluster: EDS needs edsClusterConfig over ADS; DNS types need a loadAssignment; connectTimeout over 0', () => {
    assert.equal(reason(cluster({ type: 'EDS' })), 'resources[0] (Cluster "c"): a Cluster of type EDS needs edsClusterConfig: { edsConfig: { ads: {} } } (its endpoints come as a ClusterLoadAssignment)');
    assert.equal(reason(cluster({ type: 'EDS', edsClusterConfig: { edsConfig: { path: '/x' } } })), 'resources[0] (Cluster "c"): edsClusterConfig.edsConfig: must be { ads: {} } or { self: {} }: endpoints are served over ADS');
    assert.equal(reason(cluster({ type: 'EDS', edsClusterConfig: { edsConfig: { self: {} }, serviceName: 'c' } })), null);
    assert.equal(reason(cluster({ type: 'EDS', edsClusterConfig: { edsConfig: { ads: {} } }, connectTimeout: '0s' })), 'resources[0] (Cluster "c"): connectTimeout: must be more than 0s');
    assert.equal(reason(cluster({ type: 'LOGICAL_DNS' })), 'resources[0] (Cluster "c"): a Cluster of type LOGICAL_DNS needs loadAssignment with the host name to resolve');
    const two = { clusterName: 'c', endpoints: [{ locality: {}, lbEndpoints: [sock('a.example', 1), sock('b.example', 1)] }] };
    assert.equal(reason(cluster({ type: 'LOGICAL_DNS', loadAssignment: two })), 'resources[0] (Cluster "c"): loadAssignment: a Cluster of type LOGICAL_DNS has exactly one endpoint');
    assert.equal(reason(cluster({ type: 'STRICT_DNS', loadAssignment: two })), null);
    assert.equal(reason(cluster({ type: 'STATIC', loadAssignment: two })), 'resources[0] (Cluster "c"): loadAssignment.endpoints[0].lbEndpoints[0].endpoint.address.socketAddress.address: "a.example" is not an IP address (EDS and STATIC endpoints are not resolved) (and 1 more)');
    assert.equal(reason(cluster({ clusterType: { name: 'envoy.clusters.aggregate', typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.clusters.aggregate.v3.ClusterConfig', clusters: ['a', 'b'] } } })), null);
  });

  it('ClusterLoadAssignment: IP addresses, ports 1-65535 given once, weights at least 1, a locality, priorities without gaps', () => {
    const group = (lbEndpoints: unknown[], more: Record<string, unknown> = {}): Record<string, unknown> => ({ locality: { zone: 'z' }, lbEndpoints, ...more });
    const at = 'resources[0] (ClusterLoadAssignment "c"): endpoints[0].lbEndpoints[0].endpoint.address.socketAddress';
    assert.equal(reason(cla([group([sock('127.0.0.1', 70000)])])), `${at}.portValue: 70000 is not a port (1-65535)`);
    assert.equal(reason(cla([group([sock('127.0.0.1')])])), `${at}.portValue: missing`);
    assert.equal(reason(cla([group([sock('127.0.0.1', 0)])]))?.startsWith(`${at}.portValue: `), true);
    assert.equal(reason(cla([group([{ endpoint: { address: { socketAddress: { address: '127.0.0.1', namedPort: 'grpc' } } } }])])), `${at}.portValue: needed (not namedPort)`);
    assert.equal(reason(cla([group([sock('greeter.local', 80)])])), `${at}.address: "greeter.local" is not an IP address (EDS and STATIC endpoints are not resolved)`);
    assert.equal(reason(cla([group([sock('', 80)])])), `${at}.address: missing`);
    assert.equal(reason(cla([group([{ endpoint: { address: { pipe: { path: '/run/greeter.sock' } } } }])])), `${at}: missing: an endpoint needs { address, portValue }`);
    assert.equal(reason(cla([group([sock('::1', 80), sock('::1', 80)])])), 'resources[0] (ClusterLoadAssignment "c"): endpoints[0].lbEndpoints[1].endpoint.address.socketAddress: ::1:80 is already the endpoint endpoints[0].lbEndpoints[0]');
    assert.equal(reason(cla([group([{ ...sock('::1', 80), loadBalancingWeight: 0 }])])), 'resources[0] (ClusterLoadAssignment "c"): endpoints[0].lbEndpoints[0].loadBalancingWeight: at least 1');
    assert.equal(reason(cla([group([sock('::1', 80)], { loadBalancingWeight: 0 })])), 'resources[0] (ClusterLoadAssignment "c"): endpoints[0].loadBalancingWeight: at least 1');
    assert.equal(reason(cla([{ lbEndpoints: [sock('::1', 80)] }])), 'resources[0] (ClusterLoadAssignment "c"): endpoints[0].locality: missing (gRPC clients refuse a group without one; {} will do)');
    assert.equal(reason(cla([group([sock('::1', 80)], { priority: 1 })])), 'resources[0] (ClusterLoadAssignment "c"): endpoints: priority 0 is skipped (priorities run 0, 1, 2… with none missing)');
    assert.equal(reason(cla([group([sock('::1', 80)]), group([sock('::1', 81)], { priority: 1 })])), null);
  });

  it('any ClusterLoadAssignment: accepted exactly when a model of the rules says so, else the reason names an endpoint path (property)', () => {
    const host = fc.oneof(fc.ipV4(), fc.constantFrom('::1', '127.0.0.1', 'greeter.local', ''));
    const weight = fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined });
    const ep = fc.record({ host, port: fc.option(fc.integer({ min: 0, max: 70_000 }), { nil: undefined }), weight });
    const grp = fc.record({ locality: fc.boolean(), weight, priority: fc.integer({ min: 0, max: 3 }), eps: fc.array(ep, { maxLength: 4 }) });
    fc.assert(
      fc.property(fc.array(grp, { maxLength: 4 }), (groups) => {
        const json = cla(groups.map((g) => ({
          ...(g.locality ? { locality: {} } : {}),
          ...(g.weight === undefined ? {} : { loadBalancingWeight: g.weight }),
          ...(g.priority ? { priority: g.priority } : {}),
          lbEndpoints: g.eps.map((e) => ({ ...sock(e.host, e.port), ...(e.weight === undefined ? {} : { loadBalancingWeight: e.weight }) })),
        })));
        const seen = new Set<string>();
        let ok = true;
        for (const g of groups) {
          if (!g.locality || (g.weight !== undefined && g.weight < 1)) ok = false;
          for (const e of g.eps) {
            if (e.weight !== undefined && e.weight < 1) ok = false;
            if (isIP(e.host) === 0 || e.port === undefined || e.port < 1 || e.port > 65535) ok = false;
            const key = `${e.host}|${e.port}`;
            if (seen.has(key)) ok = false;
            seen.add(key);
          }
        }
        const priorities = new Set(groups.map((g) => g.priority));
        for (let n = 0; n < Math.max(-1, ...priorities); n++) if (!priorities.has(n)) ok = false;
        const got = reason(json);
        if (ok) assert.equal(got, null);
        else assert.match(String(got), /^resources\[0\] \(ClusterLoadAssignment "c"\): endpoints/);
      }),
      { numRuns: 500 },
    );
  });

  it('any Cluster of the four discovery types: EDS needs ADS endpoints; others need a loadAssignment as their type wants (property)', () => {
    const type = fc.constantFrom('EDS', 'STATIC', 'STRICT_DNS', 'LOGICAL_DNS', undefined);
    const eds = fc.constantFrom('ads', 'self', 'path', 'none');
    const hosts = fc.array(fc.constantFrom('10.0.0.1', '10.0.0.2', 'a.example'), { maxLength: 3 });
    fc.assert(
      fc.property(type, eds, fc.option(hosts, { nil: undefined }), fc.integer({ min: 0, max: 3 }), (t, e, la, timeout) => {
        const c = cluster({
          ...(t ? { type: t } : {}),
          ...(e === 'none' ? {} : { edsClusterConfig: { edsConfig: e === 'path' ? { path: '/x' } : { [e]: {} } } }),
          ...(la ? { loadAssignment: { clusterName: 'c', endpoints: [{ locality: {}, lbEndpoints: la.map((h, i) => sock(h, 1000 + i)) }] } } : {}),
          connectTimeout: `${timeout}s`,
        });
        const kind = t ?? 'STATIC';
        let ok = timeout > 0;
        if (kind === 'EDS') ok &&= (e === 'ads' || e === 'self') && la === undefined;
        else if (kind === 'STATIC') ok &&= la === undefined || la.every((h) => isIP(h) !== 0);
        else if (kind === 'STRICT_DNS') ok &&= la !== undefined;
        else ok &&= la !== undefined && la.length === 1;
        const got = reason(c);
        if (ok) assert.equal(got, null);
        else assert.match(String(got), /^resources\[0\] \(Cluster "c"\): /);
      }),
      { numRuns: 300 },
    );
  });

  it('config sign refuses a resource that breaks a rule with the reason (exit 2); the node refuses it and logs the reason', async (t) => {
    const dir = await tempDir(t);
    const home = join(dir, 'home');
    await pushmeshOk(['init', '--home', home]);
    const bad = { resources: [...greeterResources(50051).slice(0, 3), endpointResource(70_000)] };
    await writeFile(join(dir, 'bad.json'), JSON.stringify(bad));
    const signed = await runPushmesh(['config', 'sign', '--home', home, '--namespace', 'xds', '--name', 'greeter', '--version', '1', join(dir, 'bad.json')]);
    assert.equal(signed.code, 2, signed.stderr);
    const why = 'resources[3] (ClusterLoadAssignment "greeter-cluster"): endpoints[0].lbEndpoints[0].endpoint.address.socketAddress.portValue: 70000 is not a port (1-65535)';
    assert.equal(signed.stderr, `pushmesh: ${why}\n`);
    // Signed by other means (signConfig does not check), the node keeps it as a signed config and its xDS server refuses it.
    const owner = makeOwner();
    const node = await spawnNode({ home: await tempHome(t), trust: [`xds=${owner.id}`], extraArgs: ['--xds', '127.0.0.1:0'] });
    t.after(() => node.stop());
    const jws = await signConfig({ namespace: 'xds', name: 'greeter', version: 1, data: bad }, owner.privateKey);
    const res = await fetch(`${node.localUrl}/config`, { method: 'POST', headers: { 'content-type': CONFIG_MEDIA_TYPE }, body: jws });
    assert.equal(res.status, 200);
    const refused = await node.waitForLog((l) => l.msg === 'xds config refused: its resources are not served', 'the refusal');
    assert.deepEqual([refused['name'], refused['version'], refused['reason']], ['greeter', 1, why]);
  });
});
