import { PushmeshError } from '../errors/index.js';
import { parseHostPort } from './host-port.js';
import type { XdsConfig } from './types.js';

export const DEFAULT_XDS_NAMESPACE = 'xds';

/** The file's `xds:` section as given: `listen` (HOST:PORT, `off`), `namespace`. */
export interface XdsLayer {
  listen?: string;
  namespace?: string;
}

/** Checks the config file's `xds:` mapping. */
export function validateXdsLayer(v: unknown, where: string): XdsLayer {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new PushmeshError('ERR_CONFIG', `${where}: "xds" must be a mapping with listen, namespace`);
  const out: XdsLayer = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (k === 'listen' && (typeof val === 'string' || typeof val === 'number')) out.listen = String(val);
    else if (k === 'listen' && val === false) out.listen = 'off';
    else if (k === 'namespace' && typeof val === 'string') out.namespace = val;
    else throw new PushmeshError('ERR_CONFIG', `${where}: xds.${k} is unknown or has the wrong type`);
  }
  return out;
}

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

/**
 * The xDS settings, merged per key (highest layer first); null when no
 * `listen` is given (off by default). HOST defaults to 127.0.0.1; an
 * address off loopback is refused: plaintext is only for the node's own
 * machine, and TLS for the xDS server is not built yet.
 */
export function resolveXds(layers: readonly (XdsLayer | undefined)[]): XdsConfig | null {
  const merged: XdsLayer = {};
  for (const l of [...layers].reverse()) Object.assign(merged, l ?? {});
  if (merged.listen === undefined) {
    if (merged.namespace !== undefined) checkNamespace(merged.namespace);
    return null;
  }
  const listen = parseHostPort(merged.listen, '127.0.0.1', 'xDS address');
  if (!listen) return null;
  if (!isLoopback(listen.host)) throw new PushmeshError('ERR_CONFIG', `xDS address ${merged.listen}: only a loopback address (127.0.0.1, ::1, localhost) is allowed: the xDS server speaks plaintext and has no TLS yet`);
  return { listen, namespace: checkNamespace(merged.namespace ?? DEFAULT_XDS_NAMESPACE) };
}

function checkNamespace(ns: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(ns)) throw new PushmeshError('ERR_CONFIG', `xds.namespace "${ns}" is not a config namespace (1-64 characters of A-Z a-z 0-9 _ -, starting with a letter or digit)`);
  return ns;
}
