import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { PushmeshError } from '../errors/index.js';
import { isNodeId } from '../identity/node-id.js';
import { backendsFromFile, parseBridgeSpec, validateBridge, type BridgeRuleConfig } from './backends.js';
import { DEFAULT_SERVICE_TIMEOUT_MS, defaultConfig } from './defaults.js';
import { parseHostPort } from './host-port.js';
import { parseVapidSubject } from './vapid-subject.js';
import { resolveXds, validateXdsLayer, type XdsLayer } from './xds.js';
import type { NodeConfig, NodeLimits, RoutingConfig, ServiceConfig } from './types.js';

/**
 * One layer of settings as given (flags, environment or file), before
 * parsing. Lists merge by replacement: a higher layer's list wins whole.
 */
export interface ConfigLayer {
  local?: string;
  https?: string;
  /** TLS session tickets on the HTTPS server (default off). */
  httpsSessionTickets?: boolean;
  /** The browser demo page on the HTTPS server (default off; docs/browser.md). */
  browserDemo?: boolean;
  grpc?: string;
  advertise?: string;
  peers?: string[];
  trustCa?: string;
  /** The node's certificate, issued by a CA, instead of `cert.pem` (docs/identity.md "Certificates from a CA"). */
  certFile?: string;
  /** VAPID `sub`: mailto: or https: (docs/crypto.md "RFC 8292: VAPID"). */
  vapidSubject?: string;
  nats?: string[];
  pubsub?: string;
  trust?: string[];
  /** Route learning limits and transit peers (docs/routing.md "Limits"); merged per key. */
  routing?: Partial<RoutingConfig>;
  service?: { target?: string; allow?: string[]; timeoutMs?: number };
  /** Media types a `/req` answer may be served inline (docs/request-response.md). */
  reqInlineTypes?: string[];
  logLevel?: string;
  limits?: Partial<NodeLimits>;
  /** Bridge rules, already checked (docs/backends.md). */
  bridges?: BridgeRuleConfig[];
  /** The file's `backends:` section, as written (checked when resolved). */
  backends?: unknown;
  /** The xDS server: `listen` HOST:PORT, `namespace` (docs/xds.md); merged per key. */
  xds?: XdsLayer;
}

const LAYER_KEYS = new Set(['local', 'https', 'httpsSessionTickets', 'browserDemo', 'grpc', 'advertise', 'peers', 'trustCa', 'certFile', 'vapidSubject', 'nats', 'pubsub', 'trust', 'service', 'routing', 'reqInlineTypes', 'logLevel', 'limits', 'bridges', 'backends', 'xds']);
const LIMIT_KEYS = new Set<keyof NodeLimits>(['maxRequestBody', 'maxQueuedMessages', 'maxQueuedBytes', 'subscriberBuffer', 'maxTtl', 'deliveryWindow', 'jumpHostWait', 'heldMessages', 'heldBytes', 'heldPerTopic', 'replayEntries', 'replayEntriesPerSender']);
const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Environment variables, named after the flags: PUSHMESH_LOCAL, PUSHMESH_PEERS (comma-separated), … */
export function layerFromEnv(env: NodeJS.ProcessEnv): ConfigLayer {
  const list = (v: string | undefined): string[] | undefined =>
    v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean);
  const layer: ConfigLayer = {};
  const set = <K extends keyof ConfigLayer>(k: K, v: ConfigLayer[K] | undefined): void => {
    if (v !== undefined) layer[k] = v;
  };
  set('local', env['PUSHMESH_LOCAL']);
  set('https', env['PUSHMESH_HTTPS']);
  set('grpc', env['PUSHMESH_GRPC']);
  set('httpsSessionTickets', envBoolean(env, 'PUSHMESH_HTTPS_SESSION_TICKETS'));
  set('browserDemo', envBoolean(env, 'PUSHMESH_BROWSER_DEMO'));
  set('advertise', env['PUSHMESH_ADVERTISE']);
  set('peers', list(env['PUSHMESH_PEERS']));
  set('trustCa', env['PUSHMESH_TRUST_CA']);
  set('certFile', env['PUSHMESH_CERT']);
  set('vapidSubject', env['PUSHMESH_VAPID_SUBJECT']);
  set('nats', list(env['PUSHMESH_NATS']));
  set('pubsub', env['PUSHMESH_PUBSUB']);
  if (env['PUSHMESH_XDS'] !== undefined) layer.xds = { listen: env['PUSHMESH_XDS'] };
  set('trust', list(env['PUSHMESH_TRUST']));
  const transitPeers = list(env['PUSHMESH_TRANSIT_PEERS']);
  if (transitPeers) layer.routing = { transitPeers };
  set('logLevel', env['PUSHMESH_LOG_LEVEL']);
  set('reqInlineTypes', list(env['PUSHMESH_REQ_INLINE_TYPES']));
  const target = env['PUSHMESH_SERVICE'];
  const allow = list(env['PUSHMESH_SERVICE_ALLOW']);
  if (target !== undefined || allow !== undefined) layer.service = { ...(target !== undefined ? { target } : {}), ...(allow ? { allow } : {}) };
  // Rules hold commas themselves, so PUSHMESH_BRIDGES separates them with ";".
  const bridges = env['PUSHMESH_BRIDGES']?.split(';').map((s) => s.trim()).filter(Boolean);
  set('bridges', bridges?.map(parseBridgeSpec));
  return layer;
}

/** `1`/`true`/`on`/`yes` or `0`/`false`/`off`/`no` (any case); unset or empty: not given. */
function envBoolean(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const v = env[name]?.trim().toLowerCase();
  if (v === undefined || v === '') return undefined;
  if (['1', 'true', 'on', 'yes'].includes(v)) return true;
  if (['0', 'false', 'off', 'no'].includes(v)) return false;
  throw new PushmeshError('ERR_CONFIG', `${name}="${env[name]}" must be 1 or 0 (true or false)`);
}

/** Reads a YAML (or JSON) config file into a layer; unknown keys are an error, not ignored. */
export async function layerFromFile(path: string): Promise<ConfigLayer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PushmeshError('ERR_CONFIG', `cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
  }
  return layerFromText(text, path);
}

/** Parses config file text (YAML or JSON); `where` names it in errors. Only ever throws ERR_CONFIG. */
export function layerFromText(text: string, where: string): ConfigLayer {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new PushmeshError('ERR_CONFIG', `config file ${where} is not valid YAML: ${(err as Error).message.split('\n')[0]!.replace(/:$/, '')}`, { cause: err });
  }
  if (doc === null || doc === undefined) return {};
  return validateLayer(doc, where);
}

/**
 * A config layer from an object of the config file's shape (a program
 * embedding a node); `where` names it in errors. Unknown settings and
 * wrong types are ERR_CONFIG, as in a file.
 */
export function layerFromObject(settings: unknown, where: string): ConfigLayer {
  return validateLayer(settings, where);
}

function validateLayer(doc: unknown, where: string): ConfigLayer {
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new PushmeshError('ERR_CONFIG', `${where}: expected a mapping at the top level`);
  const o = doc as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!LAYER_KEYS.has(k)) throw new PushmeshError('ERR_CONFIG', `${where}: unknown setting "${k}"`);
  }
  const layer: ConfigLayer = {};
  const str = (k: 'local' | 'https' | 'grpc' | 'advertise' | 'trustCa' | 'certFile' | 'vapidSubject' | 'pubsub' | 'logLevel'): void => {
    const v = o[k];
    if (v === undefined) return;
    if (typeof v === 'string' || typeof v === 'number') layer[k] = String(v);
    else if (v === false && (k === 'https' || k === 'grpc')) layer[k] = 'off';
    else throw new PushmeshError('ERR_CONFIG', `${where}: "${k}" must be a string`);
  };
  const strList = (k: 'peers' | 'nats' | 'reqInlineTypes'): void => {
    const v = o[k];
    if (v === undefined) return;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new PushmeshError('ERR_CONFIG', `${where}: "${k}" must be a list of strings`);
    layer[k] = v as string[];
  };
  for (const k of ['local', 'https', 'grpc', 'advertise', 'trustCa', 'certFile', 'vapidSubject', 'pubsub', 'logLevel'] as const) str(k);
  if (o['httpsSessionTickets'] !== undefined) {
    if (typeof o['httpsSessionTickets'] !== 'boolean') throw new PushmeshError('ERR_CONFIG', `${where}: "httpsSessionTickets" must be true or false`);
    layer.httpsSessionTickets = o['httpsSessionTickets'];
  }
  if (o['browserDemo'] !== undefined) {
    if (typeof o['browserDemo'] !== 'boolean') throw new PushmeshError('ERR_CONFIG', `${where}: "browserDemo" must be true or false`);
    layer.browserDemo = o['browserDemo'];
  }
  strList('peers');
  strList('nats');
  strList('reqInlineTypes');
  if (o['trust'] !== undefined) {
    const t = o['trust'];
    if (Array.isArray(t) && t.every((x) => typeof x === 'string')) layer.trust = t as string[];
    else if (t && typeof t === 'object') {
      layer.trust = [];
      for (const [ns, ids] of Object.entries(t as Record<string, unknown>)) {
        const list = Array.isArray(ids) ? ids : [ids];
        for (const id of list) {
          if (typeof id !== 'string') throw new PushmeshError('ERR_CONFIG', `${where}: trust.${ns} must be node IDs`);
          layer.trust.push(`${ns}=${id}`);
        }
      }
    } else throw new PushmeshError('ERR_CONFIG', `${where}: "trust" must map namespaces to node IDs`);
  }
  if (o['service'] !== undefined) layer.service = validateService(o['service'], where);
  if (o['routing'] !== undefined) layer.routing = validateRouting(o['routing'], where);
  if (o['limits'] !== undefined) {
    const l = o['limits'];
    if (!l || typeof l !== 'object' || Array.isArray(l)) throw new PushmeshError('ERR_CONFIG', `${where}: "limits" must be a mapping`);
    const limits: Partial<NodeLimits> = {};
    for (const [k, v] of Object.entries(l as Record<string, unknown>)) {
      if (!LIMIT_KEYS.has(k as keyof NodeLimits)) throw new PushmeshError('ERR_CONFIG', `${where}: unknown limit "${k}"`);
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new PushmeshError('ERR_CONFIG', `${where}: limits.${k} must be a positive integer`);
      limits[k as keyof NodeLimits] = v;
    }
    layer.limits = limits;
  }
  if (o['bridges'] !== undefined) {
    if (!Array.isArray(o['bridges'])) throw new PushmeshError('ERR_CONFIG', `${where}: "bridges" must be a list`);
    layer.bridges = o['bridges'].map((b, i) => validateBridge(b, `${where}: bridges[${i}]`));
  }
  if (o['backends'] !== undefined) {
    backendsFromFile(o['backends'], where);
    layer.backends = o['backends'];
  }
  if (o['xds'] !== undefined) layer.xds = validateXdsLayer(o['xds'], where);
  return layer;
}

function validateService(v: unknown, where: string): NonNullable<ConfigLayer['service']> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new PushmeshError('ERR_CONFIG', `${where}: "service" must be a mapping with target, allow, timeoutMs`);
  const out: NonNullable<ConfigLayer['service']> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (k === 'target' && typeof val === 'string') out.target = val;
    else if (k === 'allow' && Array.isArray(val) && val.every((x) => typeof x === 'string')) out.allow = val as string[];
    else if (k === 'timeoutMs' && typeof val === 'number') out.timeoutMs = val;
    else throw new PushmeshError('ERR_CONFIG', `${where}: service.${k} is unknown or has the wrong type`);
  }
  return out;
}

const ROUTING_NUMBERS = new Set(['maxRoutesPerPeer', 'maxRoutesPerUnlistedPeer', 'maxRoutes', 'announcementsPerMinute']);

/** The file's `routing:` section: whole numbers (≥ 1; `maxRoutesPerUnlistedPeer` may be 0) and `transitPeers`, a list of node IDs. */
function validateRouting(v: unknown, where: string): Partial<RoutingConfig> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new PushmeshError('ERR_CONFIG', `${where}: "routing" must be a mapping`);
  const out: Partial<RoutingConfig> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (k === 'transitPeers') {
      if (!Array.isArray(val) || !val.every((x) => typeof x === 'string')) throw new PushmeshError('ERR_CONFIG', `${where}: routing.transitPeers must be a list of node IDs`);
      out.transitPeers = val as string[];
    } else if (ROUTING_NUMBERS.has(k)) {
      const least = k === 'maxRoutesPerUnlistedPeer' ? 0 : 1;
      if (typeof val !== 'number' || !Number.isSafeInteger(val) || val < least) throw new PushmeshError('ERR_CONFIG', `${where}: routing.${k} must be a whole number of at least ${least}`);
      out[k as Exclude<keyof RoutingConfig, 'transitPeers'>] = val;
    } else throw new PushmeshError('ERR_CONFIG', `${where}: unknown routing setting "${k}"`);
  }
  return out;
}

/** Merges layers (highest precedence first) over the defaults and parses every value. */
export function resolveConfig(home: string, layers: ConfigLayer[]): NodeConfig {
  const pick = <K extends keyof ConfigLayer>(k: K): ConfigLayer[K] | undefined => {
    for (const l of layers) if (l[k] !== undefined) return l[k];
    return undefined;
  };
  const cfg = defaultConfig(home);
  const local = pick('local');
  if (local !== undefined) {
    const hp = parseHostPort(local, '127.0.0.1', 'local API address');
    if (!hp) throw new PushmeshError('ERR_CONFIG', 'the local API cannot be switched off');
    cfg.local = hp;
  }
  const https = pick('https');
  if (https !== undefined) cfg.https = parseHostPort(https, '0.0.0.0', 'HTTPS address');
  cfg.httpsSessionTickets = pick('httpsSessionTickets') ?? false;
  cfg.browserDemo = pick('browserDemo') ?? false;
  const grpc = pick('grpc');
  if (grpc !== undefined) cfg.grpc = parseHostPort(grpc, '0.0.0.0', 'gRPC address');
  cfg.advertise = normalizeAdvertise(pick('advertise') ?? '', cfg);
  cfg.peers = pick('peers') ?? [];
  cfg.trustCa = pick('trustCa') ?? null;
  cfg.certFile = pick('certFile') || null;
  const vapidSubject = pick('vapidSubject');
  cfg.vapidSubject = vapidSubject === undefined ? null : parseVapidSubject(vapidSubject);
  cfg.nats = pick('nats') ?? [];
  cfg.pubsub = pick('pubsub') ?? null;
  for (const t of pick('trust') ?? []) {
    const m = /^([^=\s]+)=(\S+)$/.exec(t);
    if (!m) throw new PushmeshError('ERR_CONFIG', `trust "${t}" is not NAMESPACE=ID`);
    const ns = m[1]!;
    // Own keys only: a namespace named like an Object.prototype member ("__proto__", "constructor") is a name like any other.
    if (!Object.hasOwn(cfg.trust, ns)) Object.defineProperty(cfg.trust, ns, { value: [], enumerable: true, writable: true, configurable: true });
    cfg.trust[ns]!.push(m[2]!);
  }
  cfg.service = resolveService(layers);
  // Routing settings merge per key, lowest layer first (like limits).
  for (const l of [...layers].reverse()) Object.assign(cfg.routing, l.routing ?? {});
  for (const id of cfg.routing.transitPeers) if (!isNodeId(id)) throw new PushmeshError('ERR_CONFIG', `routing.transitPeers entry "${id}" is not a full node ID`);
  cfg.reqInlineTypes = (pick('reqInlineTypes') ?? []).map(checkMediaType);
  const level = pick('logLevel');
  if (level !== undefined) {
    if (!LOG_LEVELS.has(level)) throw new PushmeshError('ERR_CONFIG', `log level "${level}" is not one of ${[...LOG_LEVELS].join(', ')}`);
    cfg.logLevel = level as NodeConfig['logLevel'];
  }
  for (const l of [...layers].reverse()) if (l.backends !== undefined) cfg.backends = backendsFromFile(l.backends, 'config file', cfg.backends);
  cfg.backends.bridges = pick('bridges') ?? [];
  cfg.xds = resolveXds(layers.map((l) => l.xds), { home: cfg.home, certFile: cfg.certFile ?? null, trustCa: cfg.trustCa });
  // Limits merge per key, lowest layer first so higher layers win.
  for (const l of [...layers].reverse()) Object.assign(cfg.limits, l.limits ?? {});
  return cfg;
}

function normalizeAdvertise(given: string, cfg: NodeConfig): string {
  if (given) {
    let u: URL;
    try {
      u = new URL(given);
    } catch {
      throw new PushmeshError('ERR_CONFIG', `advertise "${given}" is not a URL`);
    }
    if (u.protocol !== 'https:') throw new PushmeshError('ERR_CONFIG', `advertise "${given}" must be an https:// origin`);
    return u.origin;
  }
  const https = cfg.https;
  if (!https) return '';
  const anyAddr = https.host === '0.0.0.0' || https.host === '::';
  // Bound to every interface: DESIGN.md says the host name; --advertise overrides.
  const host = anyAddr ? hostname() : https.host;
  return `https://${host.includes(':') ? `[${host}]` : host}:${https.port}`;
}

/** A media type as `reqInlineTypes` lists it: `type/subtype`, no parameters, no wildcard; lowercased. */
function checkMediaType(t: string): string {
  const type = t.trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/.test(type)) {
    throw new PushmeshError('ERR_CONFIG', `reqInlineTypes entry "${t}" is not a media type like image/png (no parameters, no wildcard)`);
  }
  return type;
}

/** Service settings merge per key (a flag's target with the file's allow-list, say). */
function resolveService(layers: ConfigLayer[]): ServiceConfig | null {
  const merged: NonNullable<ConfigLayer['service']> = {};
  for (const l of [...layers].reverse()) Object.assign(merged, l.service ?? {});
  if (merged.target === undefined) {
    if (merged.allow !== undefined) throw new PushmeshError('ERR_CONFIG', 'service allow-list given without a service target');
    return null;
  }
  let u: URL;
  try {
    u = new URL(merged.target);
  } catch {
    throw new PushmeshError('ERR_CONFIG', `service target "${merged.target}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new PushmeshError('ERR_CONFIG', `service target "${merged.target}" must be http:// or https://`);
  const allow = merged.allow ?? [];
  for (const id of allow) if (!isNodeId(id)) throw new PushmeshError('ERR_CONFIG', `service allow-list entry "${id}" is not a full node ID`);
  const timeoutMs = merged.timeoutMs ?? DEFAULT_SERVICE_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 120_000) throw new PushmeshError('ERR_CONFIG', 'service timeoutMs must be 1-120000');
  return { target: u.href, allow, timeoutMs };
}
