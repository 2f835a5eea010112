import { isIP } from 'node:net';
import type protobuf from 'protobufjs';
import { XDS_TYPES, typeForUrl, type XdsTypeUrl } from './envoy-protos.js';

/**
 * Envoy's validation rules beyond the .proto (docs/xds.md "Validation
 * rules"): the protoc-gen-validate rules and Envoy's and gRPC's own checks
 * that a gRPC client relies on, so that a resource a client would NACK is
 * refused where it is signed (`config sign`) and at the node, with the
 * reason, instead of reaching the clients.
 *
 * The checks run on the resource as encoded (decoded back with field
 * names as in the .proto), so they see what a client sees whichever JSON
 * spelling the owner used. Paths in the reasons are lowerCamel, as the
 * owner most likely wrote them.
 */

type Msg = Record<string, unknown>;

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, oneofs: true, defaults: false, arrays: true };

const isMsg = (v: unknown): v is Msg => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
const list = (v: unknown): Msg[] => (Array.isArray(v) ? (v as Msg[]) : []);
const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
/** A wrapper type (`UInt32Value`…) as decoded: its value, or undefined when not given. */
const wrapped = (v: unknown): number | undefined => (isMsg(v) ? Number(v['value'] ?? 0) : undefined);

/** Collects the problems of one resource; each is `path: reason`. */
class Problems {
  readonly all: string[] = [];
  add(path: string, reason: string): void {
    this.all.push(path ? `${camel(path)}: ${reason}` : reason);
  }
}

/** Decodes an `Any` field's value with its own type; undefined when the type is not loaded. */
function unpack(root: protobuf.Root, any: unknown): { typeUrl: string; msg: Msg | undefined } | undefined {
  if (!isMsg(any) || typeof any['type_url'] !== 'string') return undefined;
  const typeUrl = any['type_url'];
  const type = typeForUrl(root, typeUrl);
  const value = any['value'];
  if (!type || !(value instanceof Uint8Array)) return { typeUrl, msg: undefined };
  return { typeUrl, msg: type.toObject(type.decode(value), TO_OBJECT) as Msg };
}

/** The rules' problems with one resource (empty: it passes), from its encoded bytes. */
export function xdsRuleProblems(root: protobuf.Root, typeUrl: XdsTypeUrl, value: Uint8Array): string[] {
  const type = typeForUrl(root, typeUrl)!;
  const msg = type.toObject(type.decode(value), TO_OBJECT) as Msg;
  const p = new Problems();
  switch (typeUrl) {
    case XDS_TYPES.listener:
      checkListener(root, msg, p);
      break;
    case XDS_TYPES.route:
      checkRouteConfiguration(msg, '', p);
      break;
    case XDS_TYPES.cluster:
      checkCluster(msg, p);
      break;
    case XDS_TYPES.endpoint:
      checkLoadAssignment(msg, '', p, true);
      break;
  }
  return p.all;
}

function checkListener(root: protobuf.Root, l: Msg, p: Problems): void {
  const api = isMsg(l['api_listener']) ? l['api_listener']['api_listener'] : undefined;
  if (api === undefined) {
    if (!isMsg(l['address'])) p.add('', 'a Listener needs apiListener (for gRPC clients) or an address (for Envoy and gRPC servers)');
    return;
  }
  const hcm = unpack(root, api);
  if (!hcm || hcm.typeUrl !== HCM_TYPE || !hcm.msg) {
    p.add('api_listener.api_listener', `must be an HttpConnectionManager ("@type": "${HCM_TYPE}"), not ${hcm ? `"${hcm.typeUrl}"` : 'empty'}`);
    return;
  }
  checkConnectionManager(root, hcm.msg, 'api_listener.api_listener', p);
}

function checkConnectionManager(root: protobuf.Root, h: Msg, at: string, p: Problems): void {
  const spec = h['route_specifier'];
  if (spec === 'rds') {
    const rds = h['rds'] as Msg;
    if (!rds['route_config_name']) p.add(`${at}.rds.route_config_name`, 'missing: the name of the RouteConfiguration to ask for');
    const source = isMsg(rds['config_source']) ? rds['config_source'] : {};
    if (!isMsg(source['ads']) && !isMsg(source['self'])) p.add(`${at}.rds.config_source`, 'must be { ads: {} } or { self: {} }: routes are served over ADS');
  } else if (spec === 'route_config') {
    checkRouteConfiguration(h['route_config'] as Msg, `${at}.route_config.`, p);
  } else {
    p.add(at, `needs rds or routeConfig${spec ? ` (not ${camel(String(spec))}: gRPC clients know only these two)` : ''}`);
  }
  const filters = list(h['http_filters']);
  const names = new Set<string>();
  filters.forEach((f, i) => {
    const name = String(f['name'] ?? '');
    if (!name) p.add(`${at}.http_filters[${i}].name`, 'missing');
    else if (names.has(name)) p.add(`${at}.http_filters[${i}].name`, `"${name}" is given twice`);
    names.add(name);
    const url = unpack(root, f['typed_config'])?.typeUrl;
    const last = i === filters.length - 1;
    if (last && url !== ROUTER_TYPE) p.add(`${at}.http_filters[${i}]`, `the last HTTP filter must be the router (${ROUTER_TYPE}), not ${url ? `"${url}"` : 'one without typedConfig'}`);
    if (!last && url === ROUTER_TYPE) p.add(`${at}.http_filters[${i}]`, 'the router must be the last HTTP filter');
  });
}

function checkRouteConfiguration(rc: Msg, at: string, p: Problems): void {
  const domains = new Map<string, number>();
  list(rc['virtual_hosts']).forEach((vh, i) => {
    const v = `${at}virtual_hosts[${i}]`;
    if (!vh['name']) p.add(`${v}.name`, 'missing');
    const ds = (Array.isArray(vh['domains']) ? vh['domains'] : []) as string[];
    if (ds.length === 0) p.add(`${v}.domains`, 'at least one domain (e.g. "*")');
    ds.forEach((d, j) => {
      if (d === '') p.add(`${v}.domains[${j}]`, 'empty');
      const first = domains.get(d.toLowerCase());
      if (first !== undefined) p.add(`${v}.domains[${j}]`, `"${d}" is already a domain of virtualHosts[${first}]`);
      else domains.set(d.toLowerCase(), i);
    });
    list(vh['routes']).forEach((r, j) => checkRoute(r, `${v}.routes[${j}]`, p));
  });
}

function checkRoute(r: Msg, at: string, p: Problems): void {
  if (!isMsg(r['match'])) p.add(`${at}.match`, 'missing');
  else if (!r['match']['path_specifier']) p.add(`${at}.match`, 'needs prefix, path, safeRegex or another path specifier ("prefix": "" matches every path)');
  const action = r['action'];
  if (!action) {
    p.add(at, 'needs an action: route, redirect or directResponse…');
    return;
  }
  if (action !== 'route') return;
  const ra = r['route'] as Msg;
  const spec = ra['cluster_specifier'];
  if (spec === 'cluster') {
    if (!ra['cluster']) p.add(`${at}.route.cluster`, 'empty');
  } else if (spec === 'weighted_clusters') {
    const wc = ra['weighted_clusters'] as Msg;
    const clusters = list(wc['clusters']);
    if (clusters.length === 0) p.add(`${at}.route.weighted_clusters.clusters`, 'at least one cluster');
    let total = 0;
    clusters.forEach((c, k) => {
      if (!c['name'] && !c['cluster_header']) p.add(`${at}.route.weighted_clusters.clusters[${k}].name`, 'missing');
      total += wrapped(c['weight']) ?? 0;
    });
    if (clusters.length > 0 && total <= 0) p.add(`${at}.route.weighted_clusters`, 'the weights add up to 0: no cluster would ever be picked');
    if (total > 0xffffffff) p.add(`${at}.route.weighted_clusters`, `the weights add up to ${total}, more than 4294967295`);
  } else if (!spec) {
    p.add(`${at}.route`, 'needs cluster, weightedClusters or another cluster specifier');
  }
}

function checkCluster(c: Msg, p: Problems): void {
  const timeout = c['connect_timeout'];
  if (isMsg(timeout) && Number(timeout['seconds'] ?? 0) * 1e9 + Number(timeout['nanos'] ?? 0) <= 0) p.add('connect_timeout', 'must be more than 0s');
  if (c['cluster_discovery_type'] === 'cluster_type') {
    if (!isMsg(c['cluster_type']) || !c['cluster_type']['name']) p.add('cluster_type.name', 'missing');
    return;
  }
  const type = String(c['type'] ?? 'STATIC');
  if (type === 'EDS') {
    const eds = c['eds_cluster_config'];
    if (!isMsg(eds)) {
      p.add('', 'a Cluster of type EDS needs edsClusterConfig: { edsConfig: { ads: {} } } (its endpoints come as a ClusterLoadAssignment)');
    } else {
      const source = isMsg(eds['eds_config']) ? eds['eds_config'] : {};
      if (!isMsg(source['ads']) && !isMsg(source['self'])) p.add('eds_cluster_config.eds_config', 'must be { ads: {} } or { self: {} }: endpoints are served over ADS');
    }
    if (c['load_assignment'] !== undefined) p.add('load_assignment', 'not for a Cluster of type EDS (its endpoints come as a ClusterLoadAssignment)');
    return;
  }
  const la = c['load_assignment'];
  if (!isMsg(la)) {
    if (type === 'LOGICAL_DNS' || type === 'STRICT_DNS') p.add('', `a Cluster of type ${type} needs loadAssignment with the host name to resolve`);
    return;
  }
  checkLoadAssignment(la, 'load_assignment.', p, type === 'STATIC' || type === 'ORIGINAL_DST');
  if (type === 'LOGICAL_DNS') {
    const groups = list(la['endpoints']);
    if (groups.length !== 1 || list(groups[0]!['lb_endpoints']).length !== 1) p.add('load_assignment', 'a Cluster of type LOGICAL_DNS has exactly one endpoint');
  }
}

/**
 * A ClusterLoadAssignment (or a Cluster's loadAssignment, `at` its path):
 * each endpoint a socket address with an address (an IP address when
 * `ip`, as EDS and STATIC need) and a port 1–65535, given once; weights
 * at least 1; each group a locality (gRPC clients need one); priorities
 * 0–128 with none skipped.
 */
function checkLoadAssignment(la: Msg, at: string, p: Problems, ip: boolean): void {
  const seen = new Map<string, string>();
  const priorities = new Set<number>();
  list(la['endpoints']).forEach((g, i) => {
    const ga = `${at}endpoints[${i}]`;
    if (!isMsg(g['locality'])) p.add(`${ga}.locality`, 'missing (gRPC clients refuse a group without one; {} will do)');
    const w = wrapped(g['load_balancing_weight']);
    if (w !== undefined && w < 1) p.add(`${ga}.load_balancing_weight`, 'at least 1');
    const priority = Number(g['priority'] ?? 0);
    if (priority > 128) p.add(`${ga}.priority`, `${priority} is more than 128`);
    priorities.add(priority);
    list(g['lb_endpoints']).forEach((e, j) => {
      const ea = `${ga}.lb_endpoints[${j}]`;
      const lw = wrapped(e['load_balancing_weight']);
      if (lw !== undefined && lw < 1) p.add(`${ea}.load_balancing_weight`, 'at least 1');
      const ep = e['endpoint'];
      const sa = isMsg(ep) && isMsg(ep['address']) ? ep['address']['socket_address'] : undefined;
      if (!isMsg(sa)) {
        p.add(`${ea}.endpoint.address.socket_address`, 'missing: an endpoint needs { address, portValue }');
        return;
      }
      const sp = `${ea}.endpoint.address.socket_address`;
      const host = String(sa['address'] ?? '');
      if (host === '') p.add(`${sp}.address`, 'missing');
      else if (ip && isIP(host) === 0) p.add(`${sp}.address`, `"${host}" is not an IP address (EDS and STATIC endpoints are not resolved)`);
      if (sa['port_specifier'] !== 'port_value') {
        p.add(`${sp}.port_value`, sa['port_specifier'] ? `needed (not ${camel(String(sa['port_specifier']))})` : 'missing');
        return;
      }
      const port = Number(sa['port_value']);
      if (!(port >= 1 && port <= 65535)) p.add(`${sp}.port_value`, `${port} is not a port (1-65535)`);
      const key = `${host}|${port}`;
      const first = seen.get(key);
      if (first !== undefined && host !== '') p.add(sp, `${host}:${port} is already the endpoint ${camel(first)}`);
      else seen.set(key, ea);
    });
  });
  const max = Math.max(-1, ...priorities);
  for (let n = 0; n <= max; n++) if (!priorities.has(n)) p.add(`${at}endpoints`, `priority ${n} is skipped (priorities run 0, 1, 2… with none missing)`);
}
