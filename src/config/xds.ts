import { join } from 'node:path';
import { PushmeshError } from '../errors/index.js';
import { parseHostPort } from './host-port.js';
import type { XdsConfig, XdsTlsConfig } from './types.js';

export const DEFAULT_XDS_NAMESPACE = 'xds';

/** The file's `xds.tls:` mapping as given (docs/xds.md "TLS"). */
export interface XdsTlsLayer {
  /** PEM certificate (chain) the server presents; with `key`. Default: the node's own certificate. */
  cert?: string;
  /** PEM private key of `cert`. Default: the node's own key. */
  key?: string;
  /** PEM file of the CA a client certificate must be issued by (mTLS), or `trustCa` for the node's trust CA. */
  clientCa?: string;
}

/** The file's `xds:` section as given: `listen` (HOST:PORT, `off`), `namespace`, `tls` (false: off). */
export interface XdsLayer {
  listen?: string;
  namespace?: string;
  tls?: XdsTlsLayer | false;
}

/** What the node knows that the xDS TLS defaults come from. */
export interface XdsNodeFiles {
  home: string;
  /** The node's certificate file from a CA (`certFile`), if any. */
  certFile?: string | null;
  /** The node's trust CA file (`trustCa`), if any. */
  trustCa?: string | null;
}

/** Checks the config file's `xds.tls:` value: true (the node's certificate), false, or a mapping. */
function validateTlsLayer(v: unknown, where: string): XdsTlsLayer | false {
  if (v === true) return {};
  if (v === false || v === 'off') return false;
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new PushmeshError('ERR_CONFIG', `${where}: xds.tls must be true, false or a mapping with cert, key, clientCa`);
  const out: XdsTlsLayer = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if ((k === 'cert' || k === 'key' || k === 'clientCa') && typeof val === 'string' && val !== '') out[k] = val;
    else throw new PushmeshError('ERR_CONFIG', `${where}: xds.tls.${k} is unknown or not a file path`);
  }
  return out;
}

/** Checks the config file's `xds:` mapping. */
export function validateXdsLayer(v: unknown, where: string): XdsLayer {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new PushmeshError('ERR_CONFIG', `${where}: "xds" must be a mapping with listen, namespace, tls`);
  const out: XdsLayer = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (k === 'listen' && (typeof val === 'string' || typeof val === 'number')) out.listen = String(val);
    else if (k === 'listen' && val === false) out.listen = 'off';
    else if (k === 'namespace' && typeof val === 'string') out.namespace = val;
    else if (k === 'tls') out.tls = validateTlsLayer(val, where);
    else throw new PushmeshError('ERR_CONFIG', `${where}: xds.${k} is unknown or has the wrong type`);
  }
  return out;
}

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

/**
 * The xDS settings, merged per key (highest layer first); null when no
 * `listen` is given (off by default). HOST defaults to 127.0.0.1.
 * Plaintext only on loopback: an address off loopback needs `tls`
 * (ERR_CONFIG without). `tls` without `cert`/`key` uses the node's own
 * certificate (`certFile`, else `<home>/cert.pem`) and key
 * (`<home>/key.pem`); `clientCa` turns on mTLS.
 */
export function resolveXds(layers: readonly (XdsLayer | undefined)[], node: XdsNodeFiles = { home: '.' }): XdsConfig | null {
  const merged: XdsLayer = {};
  for (const l of [...layers].reverse()) Object.assign(merged, l ?? {});
  if (merged.listen === undefined) {
    if (merged.namespace !== undefined) checkNamespace(merged.namespace);
    return null;
  }
  const listen = parseHostPort(merged.listen, '127.0.0.1', 'xDS address');
  if (!listen) return null;
  const tls = merged.tls ? resolveTls(merged.tls, node) : null;
  if (!tls && !isLoopback(listen.host)) {
    throw new PushmeshError('ERR_CONFIG', `xDS address ${merged.listen}: only a loopback address (127.0.0.1, ::1, localhost) is allowed without TLS: set xds.tls in the config file (docs/xds.md "TLS")`);
  }
  return { listen, namespace: checkNamespace(merged.namespace ?? DEFAULT_XDS_NAMESPACE), tls };
}

function resolveTls(t: XdsTlsLayer, node: XdsNodeFiles): XdsTlsConfig {
  if ((t.cert === undefined) !== (t.key === undefined)) throw new PushmeshError('ERR_CONFIG', 'xds.tls: give both cert and key, or neither (the node\'s own certificate and key)');
  let clientCaFile: string | null = null;
  if (t.clientCa === 'trustCa') {
    if (!node.trustCa) throw new PushmeshError('ERR_CONFIG', 'xds.tls.clientCa is "trustCa" but the node has no trustCa');
    clientCaFile = node.trustCa;
  } else if (t.clientCa !== undefined) clientCaFile = t.clientCa;
  if (t.cert !== undefined && t.key !== undefined) return { certFile: t.cert, keyFile: t.key, clientCaFile, ownCertificate: false };
  return { certFile: node.certFile || join(node.home, 'cert.pem'), keyFile: join(node.home, 'key.pem'), clientCaFile, ownCertificate: true };
}

function checkNamespace(ns: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(ns)) throw new PushmeshError('ERR_CONFIG', `xds.namespace "${ns}" is not a config namespace (1-64 characters of A-Z a-z 0-9 _ -, starting with a letter or digit)`);
  return ns;
}
