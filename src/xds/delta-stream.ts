import type { Logger } from 'pino';
import { WILDCARD_TYPES, XDS_TYPE_URLS, type XdsTypeUrl } from './envoy-protos.js';
import type { XdsResource } from './resources.js';
import type { XdsSnapshot } from './snapshot.js';

/** A DeltaDiscoveryRequest as decoded (proto field names). */
export interface DeltaDiscoveryRequest {
  node?: { id?: string };
  type_url?: string;
  resource_names_subscribe?: string[];
  resource_names_unsubscribe?: string[];
  initial_resource_versions?: Record<string, string>;
  response_nonce?: string;
  error_detail?: { code?: number; message?: string } | null;
}

/** A DeltaDiscoveryResponse to encode. */
export interface DeltaDiscoveryResponse {
  system_version_info: string;
  resources: { name: string; version: string; resource: { type_url: string; value: Uint8Array } }[];
  type_url: string;
  removed_resources: string[];
  nonce: string;
}

/** What the stream tells its server: responses, ACKs, NACKs. */
export interface DeltaStreamEvents {
  send(res: DeltaDiscoveryResponse): void;
  acked(type: XdsTypeUrl): void;
  nacked(type: XdsTypeUrl, message: string): void;
}

/** A resource's version in the incremental protocol: the first 16 hex digits of its digest (it changes exactly when its bytes do). */
export const resourceVersion = (r: XdsResource): string => r.digest.slice(0, 16);

interface TypeState {
  names: Set<string>;
  wildcard: boolean;
  /**
   * What the client holds, as this server last told it: name → version,
   * or null for a name it was told does not exist.
   */
  known: Map<string, string | null>;
  /** Nonces of responses sent and not yet answered (ACK or NACK). */
  pending: Map<string, string>;
}

/**
 * One client's incremental ADS stream (`DeltaAggregatedResources`,
 * docs/xds.md "Incremental xDS"): subscriptions per type changed by
 * `resource_names_subscribe`/`_unsubscribe` (for LDS and CDS a first
 * request without names, or `*`, is the wildcard); each response carries
 * only the resources that are new or changed for this client (per-resource
 * versions) and the names that are gone (`removed_resources`), including a
 * subscribed name that does not exist. `initial_resource_versions` of a
 * type's first request say what the client already holds, so a client
 * reconnecting (e.g. after a node restart) is sent only what differs.
 */
export class DeltaAdsStream {
  readonly #types = new Map<XdsTypeUrl, TypeState>();
  readonly #events: DeltaStreamEvents;
  readonly #log: Logger;
  #snapshot: XdsSnapshot;
  #nonce = 0;
  #node = '';

  constructor(snapshot: XdsSnapshot, events: DeltaStreamEvents, logger: Logger) {
    this.#snapshot = snapshot;
    this.#events = events;
    this.#log = logger;
  }

  /** The client's node ID (from its first request), for logs. */
  get node(): string {
    return this.#node;
  }

  onRequest(req: DeltaDiscoveryRequest): void {
    if (!this.#node && req.node?.id) this.#node = req.node.id;
    const type = req.type_url ?? '';
    if (!(XDS_TYPE_URLS as readonly string[]).includes(type)) {
      this.#log.debug({ client: this.#node, type }, 'xds delta: subscription to a type not served; ignored');
      return;
    }
    const t = type as XdsTypeUrl;
    const subscribe = req.resource_names_subscribe ?? [];
    const unsubscribe = req.resource_names_unsubscribe ?? [];
    let state = this.#types.get(t);
    const first = !state;
    if (!state) {
      const known = new Map<string, string | null>();
      for (const [name, version] of Object.entries(req.initial_resource_versions ?? {})) if (typeof version === 'string') known.set(name, version);
      state = { names: new Set(), wildcard: WILDCARD_TYPES.has(t) && subscribe.length === 0, known, pending: new Map() };
      this.#types.set(t, state);
    }
    const nonce = req.response_nonce ?? '';
    if (nonce !== '' && state.pending.has(nonce)) {
      const version = state.pending.get(nonce)!;
      state.pending.delete(nonce);
      if (req.error_detail) {
        const message = req.error_detail.message ?? '';
        this.#log.warn({ client: this.#node, type: t, rejected: version, reason: message }, 'xds client NACKed a response');
        this.#events.nacked(t, message);
      } else {
        this.#events.acked(t);
      }
    }
    const wasWildcard = state.wildcard;
    for (const n of subscribe) {
      if (n === '*') state.wildcard ||= WILDCARD_TYPES.has(t);
      else state.names.add(n);
    }
    for (const n of unsubscribe) {
      if (n === '*') state.wildcard = false;
      else state.names.delete(n);
    }
    // What left the subscription is forgotten (the client drops it itself); nothing is sent for it.
    // A held resource still in scope but gone from the snapshot is sent as removed (below).
    const all = this.#snapshot.resources.get(t)!;
    const forget = (name: string): void => {
      if (!this.#inScope(state, name, all)) state.known.delete(name);
    };
    if (first && !state.wildcard) for (const name of [...state.known.keys()]) if (!state.names.has(name)) state.known.delete(name);
    for (const n of unsubscribe) if (n !== '*') forget(n);
    if (wasWildcard && !state.wildcard) for (const name of [...state.known.keys()]) if (!state.names.has(name)) state.known.delete(name);
    this.#respond(t, state);
  }

  /** A new snapshot: each type pushes what changed for this client, if anything. */
  update(snapshot: XdsSnapshot): void {
    this.#snapshot = snapshot;
    for (const [t, state] of this.#types) this.#respond(t, state);
  }

  #inScope(state: TypeState, name: string, all: ReadonlyMap<string, XdsResource>): boolean {
    return state.names.has(name) || (state.wildcard && all.has(name));
  }

  #respond(t: XdsTypeUrl, state: TypeState): void {
    const all = this.#snapshot.resources.get(t)!;
    const changed: XdsResource[] = [];
    const removed: string[] = [];
    const scope = new Set(state.names);
    if (state.wildcard) for (const n of all.keys()) scope.add(n);
    for (const name of scope) {
      const r = all.get(name);
      if (r) {
        if (state.known.get(name) !== resourceVersion(r)) changed.push(r);
      } else if (state.known.get(name) !== null && (state.names.has(name) || state.known.has(name))) {
        removed.push(name);
      }
    }
    // Held by the client through the wildcard, gone from the snapshot.
    for (const [name, v] of state.known) if (v !== null && !scope.has(name)) removed.push(name);
    if (changed.length === 0 && removed.length === 0) return;
    for (const r of changed) state.known.set(r.name, resourceVersion(r));
    for (const n of removed) {
      if (state.names.has(n)) state.known.set(n, null);
      else state.known.delete(n);
    }
    const nonce = String(++this.#nonce);
    state.pending.set(nonce, this.#snapshot.version);
    if (state.pending.size > 64) state.pending.delete(state.pending.keys().next().value!); // a client that never answers
    this.#events.send({
      system_version_info: this.#snapshot.version,
      type_url: t,
      nonce,
      resources: changed.map((r) => ({ name: r.name, version: resourceVersion(r), resource: { type_url: t, value: r.value } })),
      removed_resources: removed.sort(),
    });
  }
}
