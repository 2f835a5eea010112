import type { Logger } from 'pino';
import { WILDCARD_TYPES, XDS_TYPE_URLS, type XdsTypeUrl } from './envoy-protos.js';
import type { XdsResource } from './resources.js';
import type { XdsSnapshot } from './snapshot.js';

/** A DiscoveryRequest as decoded (proto field names). */
export interface DiscoveryRequest {
  version_info?: string;
  node?: { id?: string };
  resource_names?: string[];
  type_url?: string;
  response_nonce?: string;
  error_detail?: { code?: number; message?: string } | null;
}

/** A DiscoveryResponse to encode. */
export interface DiscoveryResponse {
  version_info: string;
  resources: { type_url: string; value: Uint8Array }[];
  type_url: string;
  nonce: string;
}

/** What the stream tells its server: responses, ACKs, NACKs. */
export interface AdsStreamEvents {
  send(res: DiscoveryResponse): void;
  acked(type: XdsTypeUrl): void;
  nacked(type: XdsTypeUrl, message: string): void;
}

interface TypeState {
  names: Set<string>;
  wildcard: boolean;
  /** Nonce of the last response of this type; a request with another non-empty nonce is stale and ignored. */
  nonce: string;
  /** Resource name → digest, as last sent. */
  sent: Map<string, string> | null;
  /** The version of the last response sent. */
  sentVersion: string;
  /** The version the client last accepted (ACK); kept across NACKs. */
  accepted: string;
}

/**
 * One client's ADS stream, state of the world (docs/xds.md "Protocol"):
 * subscriptions per type by resource name (an empty list, or `*`, is the
 * wildcard for LDS and CDS), ACK/NACK by nonce, and a response whenever
 * the subscription or what it covers changes. LDS/CDS responses carry
 * every subscribed resource (absence is removal); RDS/EDS responses carry
 * the subscribed resources that exist.
 */
export class AdsStream {
  readonly #types = new Map<XdsTypeUrl, TypeState>();
  readonly #events: AdsStreamEvents;
  readonly #log: Logger;
  #snapshot: XdsSnapshot;
  #nonce = 0;
  #node = '';

  constructor(snapshot: XdsSnapshot, events: AdsStreamEvents, logger: Logger) {
    this.#snapshot = snapshot;
    this.#events = events;
    this.#log = logger;
  }

  /** The client's node ID (from its first request), for logs. */
  get node(): string {
    return this.#node;
  }

  /** Last version the client ACKed per type. */
  accepted(type: XdsTypeUrl): string {
    return this.#types.get(type)?.accepted ?? '';
  }

  onRequest(req: DiscoveryRequest): void {
    if (!this.#node && req.node?.id) this.#node = req.node.id;
    const type = req.type_url ?? '';
    if (!(XDS_TYPE_URLS as readonly string[]).includes(type)) {
      this.#log.debug({ client: this.#node, type }, 'xds: subscription to a type not served; ignored');
      return;
    }
    const t = type as XdsTypeUrl;
    const nonce = req.response_nonce ?? '';
    let state = this.#types.get(t);
    if (state && nonce !== '' && nonce !== state.nonce) return; // stale: a response crossed it
    const names = req.resource_names ?? [];
    const wildcard = WILDCARD_TYPES.has(t) && (names.length === 0 || names.includes('*'));
    const subscription = new Set(names.filter((n) => n !== '*'));
    let changed = !state || state.wildcard !== wildcard || !sameSet(state.names, subscription);
    if (!state) {
      state = { names: subscription, wildcard, nonce: '', sent: null, sentVersion: '', accepted: '' };
      this.#types.set(t, state);
    }
    if (nonce !== '' && nonce === state.nonce) {
      if (req.error_detail) {
        const message = req.error_detail.message ?? '';
        this.#log.warn({ client: this.#node, type: t, rejected: state.sentVersion, keeps: req.version_info ?? '', reason: message }, 'xds client NACKed a response');
        this.#events.nacked(t, message);
      } else {
        state.accepted = req.version_info ?? '';
        this.#events.acked(t);
      }
    } else if (nonce === '' && state.sent !== null) {
      changed = true; // a client starting over on this stream: answer again
    }
    state.names = subscription;
    state.wildcard = wildcard;
    if (changed) this.#respond(t, state, true);
  }

  /** A new snapshot: each subscribed type whose resources changed is pushed. */
  update(snapshot: XdsSnapshot): void {
    this.#snapshot = snapshot;
    for (const [t, state] of this.#types) this.#respond(t, state, false);
  }

  #respond(t: XdsTypeUrl, state: TypeState, always: boolean): void {
    const all = this.#snapshot.resources.get(t)!;
    const chosen: XdsResource[] = state.wildcard ? [...all.values()] : [...state.names].flatMap((n) => (all.has(n) ? [all.get(n)!] : []));
    const digests = new Map(chosen.map((r) => [r.name, r.digest]));
    if (!always && state.sent && sameDigests(state.sent, digests)) return;
    state.sent = digests;
    state.nonce = String(++this.#nonce);
    state.sentVersion = this.#snapshot.version;
    this.#events.send({ version_info: this.#snapshot.version, type_url: t, nonce: state.nonce, resources: chosen.map((r) => ({ type_url: t, value: r.value })) });
  }
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

function sameDigests(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
