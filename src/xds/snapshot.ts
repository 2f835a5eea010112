import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { ConfigView } from '../signed-config/types.js';
import { XDS_TYPE_URLS, type XdsTypeUrl } from './envoy-protos.js';
import { parseXdsResources, type XdsResource } from './resources.js';

/** What every xDS client of a node is served: the resources of the kept configs of one namespace. */
export interface XdsSnapshot {
  /** `version_info` of every response made from it (docs/xds.md "Version rule"). */
  version: string;
  /** Type URL → resource name → resource. */
  resources: ReadonlyMap<XdsTypeUrl, ReadonlyMap<string, XdsResource>>;
  /** The configs served, name → version (a refused version is not here; the last good one may be). */
  configs: ReadonlyMap<string, number>;
}

/** A config whose resources were refused: never served. */
export interface XdsRefusal {
  name: string;
  version: number;
  reason: string;
}

interface Served {
  version: number;
  resources: XdsResource[];
}

/**
 * Builds the snapshot from the signed configs of one namespace. Each
 * config's data is checked (parseXdsResources); a config that fails is
 * refused with its reason (logged, counted by the caller) and, if an
 * earlier version of it was served, that version stays served.
 * Resources of one type and name in two configs: the config whose name
 * sorts first wins; the other is logged.
 */
export class XdsSnapshotBuilder {
  readonly #namespace: string;
  readonly #log: Logger;
  readonly #served = new Map<string, Served>();
  readonly #refused = new Map<string, number>();

  constructor(namespace: string, logger: Logger) {
    this.#namespace = namespace;
    this.#log = logger;
  }

  /** The snapshot of `views` (every kept config; other namespaces are skipped); `onRefused` hears each newly refused config. */
  build(views: readonly ConfigView[], onRefused: (r: XdsRefusal) => void): XdsSnapshot {
    const present = new Set<string>();
    for (const view of views) {
      if (view.namespace !== this.#namespace) continue;
      present.add(view.name);
      const served = this.#served.get(view.name);
      if (served?.version === view.version || this.#refused.get(view.name) === view.version) continue;
      const refuse = (reason: string): void => {
        this.#refused.set(view.name, view.version);
        const r = { name: view.name, version: view.version, reason };
        this.#log.warn({ namespace: view.namespace, ...r, serving: served?.version ?? null }, 'xds config refused: its resources are not served');
        onRefused(r);
      };
      if (!view.readable) {
        refuse('encrypted to other nodes: this node cannot read it');
        continue;
      }
      try {
        this.#served.set(view.name, { version: view.version, resources: parseXdsResources(view.data) });
        this.#refused.delete(view.name);
      } catch (err) {
        refuse((err as Error).message);
      }
    }
    for (const name of [...this.#served.keys()]) if (!present.has(name)) this.#served.delete(name);
    return this.#snapshot();
  }

  #snapshot(): XdsSnapshot {
    const byType = new Map<XdsTypeUrl, Map<string, XdsResource>>(XDS_TYPE_URLS.map((t) => [t, new Map()]));
    const owner = new Map<string, string>();
    const names = [...this.#served.keys()].sort();
    for (const configName of names) {
      for (const r of this.#served.get(configName)!.resources) {
        const key = `${r.typeUrl} ${r.name}`;
        const first = owner.get(key);
        if (first !== undefined) {
          this.#log.warn({ type: r.typeUrl, resource: r.name, servedFrom: first, ignoredFrom: configName }, 'xds resource given by two configs; the first (by config name) is served');
          continue;
        }
        owner.set(key, configName);
        byType.get(r.typeUrl)!.set(r.name, r);
      }
    }
    const configs = new Map(names.map((n) => [n, this.#served.get(n)!.version]));
    return { version: snapshotVersion(configs), resources: byType, configs };
  }
}

/**
 * The version rule: `<sum of the served configs' versions>-<8 hex of
 * sha256 over "name=version\n" of each, by name>`. It changes whenever a
 * served config changes; the sum makes it grow with every new version of
 * one config; "0-e3b0c442" is the empty snapshot.
 */
export function snapshotVersion(configs: ReadonlyMap<string, number>): string {
  const names = [...configs.keys()].sort();
  const sum = names.reduce((s, n) => s + configs.get(n)!, 0);
  const hash = createHash('sha256');
  for (const n of names) hash.update(`${n}=${configs.get(n)}\n`);
  return `${sum}-${hash.digest('hex').slice(0, 8)}`;
}
