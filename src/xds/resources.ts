import { createHash } from 'node:crypto';
import { PushmeshError } from '../errors/index.js';
import { XDS_TYPES, XDS_TYPE_URLS, envoyRoot, typeForUrl, type XdsTypeUrl } from './envoy-protos.js';
import { ProtoJsonError, encodeProtoJson } from './proto-json.js';
import { xdsRuleProblems } from './rules.js';

/** One resource ready to serve: its type, its name, its protobuf bytes. */
export interface XdsResource {
  typeUrl: XdsTypeUrl;
  name: string;
  /** The resource encoded (what goes in the DiscoveryResponse's `Any.value`). */
  value: Uint8Array;
  /** sha256 of `value`, hex: equal digests mean an unchanged resource. */
  digest: string;
}

/** Most resources one config may carry. */
export const MAX_RESOURCES_PER_CONFIG = 10_000;

/** The field that names a resource of each type. */
const NAME_FIELD: Record<XdsTypeUrl, string> = {
  [XDS_TYPES.listener]: 'name',
  [XDS_TYPES.route]: 'name',
  [XDS_TYPES.cluster]: 'name',
  [XDS_TYPES.endpoint]: 'cluster_name',
};
const NAME_JSON: Record<XdsTypeUrl, string> = {
  [XDS_TYPES.listener]: 'name',
  [XDS_TYPES.route]: 'name',
  [XDS_TYPES.cluster]: 'name',
  [XDS_TYPES.endpoint]: 'clusterName',
};

/** A config's data that is not a valid xDS resource list; the message says which resource and why. */
export class XdsResourceError extends PushmeshError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_BAD_ARGUMENT', message, options);
    this.name = 'XdsResourceError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks and encodes a config's data, `{"resources": [ … ]}`, each
 * resource in Envoy's proto3 JSON form with its `"@type"` (one of the four
 * types of XDS_TYPES). Throws XdsResourceError naming the first bad
 * resource: not that shape, an unknown or unsupported `@type`, JSON not
 * valid for the type (unknown field, wrong value…), a validation rule
 * broken (rules.ts: e.g. an EDS Cluster without edsClusterConfig, a port
 * over 65535), no name, or a name given twice for one type.
 */
export function parseXdsResources(data: unknown): XdsResource[] {
  if (!isObject(data) || !Array.isArray(data['resources'])) throw new XdsResourceError('xds config data must be {"resources": [ … ]}');
  const extra = Object.keys(data).filter((k) => k !== 'resources');
  if (extra.length > 0) throw new XdsResourceError(`xds config data has an unknown key "${extra[0]}" (only "resources")`);
  const list = data['resources'];
  if (list.length > MAX_RESOURCES_PER_CONFIG) throw new XdsResourceError(`xds config data has ${list.length} resources (at most ${MAX_RESOURCES_PER_CONFIG})`);
  const root = envoyRoot();
  const seen = new Set<string>();
  return list.map((r: unknown, i): XdsResource => {
    const at = `resources[${i}]`;
    if (!isObject(r)) throw new XdsResourceError(`${at}: not an object`);
    const typeUrl = r['@type'];
    if (typeof typeUrl !== 'string') throw new XdsResourceError(`${at}: no "@type"`);
    if (!(XDS_TYPE_URLS as readonly string[]).includes(typeUrl)) {
      throw new XdsResourceError(`${at}: @type "${typeUrl}" is not served (only ${XDS_TYPE_URLS.join(', ')})`);
    }
    const type = typeForUrl(root, typeUrl)!;
    const t = typeUrl as XdsTypeUrl;
    const { '@type': _t, ...body } = r;
    const name = body[NAME_JSON[t]] ?? body[NAME_FIELD[t]];
    if (typeof name !== 'string' || name === '') throw new XdsResourceError(`${at}: no ${NAME_JSON[t]} (a ${type.name} needs one)`);
    let value: Uint8Array;
    try {
      value = encodeProtoJson(type, body);
    } catch (err) {
      if (err instanceof ProtoJsonError) throw new XdsResourceError(`${at} (${type.name} "${name}"): ${err.message}`, { cause: err });
      throw new XdsResourceError(`${at} (${type.name} "${name}"): ${(err as Error).message}`, { cause: err });
    }
    const problems = xdsRuleProblems(root, t, value);
    if (problems.length > 0) throw new XdsResourceError(`${at} (${type.name} "${name}"): ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`);
    const key = `${t} ${name}`;
    if (seen.has(key)) throw new XdsResourceError(`${at}: ${type.name} "${name}" is given twice`);
    seen.add(key);
    return { typeUrl: t, name, value, digest: createHash('sha256').update(value).digest('hex') };
  });
}
