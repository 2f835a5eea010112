import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { DeltaAdsStream, WILDCARD_TYPES, XDS_TYPES, XDS_TYPE_URLS, XdsSnapshotBuilder, resourceVersion, type DeltaDiscoveryResponse, type XdsSnapshot, type XdsTypeUrl } from '../../src/xds/index.js';
import type { ConfigView } from '../../src/signed-config/types.js';
import { endpointResource, greeterResources } from './greeter-resources.js';

const silent = pino({ level: 'silent' });
const view = (name: string, version: number, data: unknown): ConfigView => ({ namespace: 'xds', name, version, data, owner: 'o', iat: 0, encrypted: false, readable: true, acceptedAt: 0 });
const build = (...views: ConfigView[]): XdsSnapshot => new XdsSnapshotBuilder('xds', silent).build(views, () => undefined);
const extra = (name: string): Record<string, unknown> => ({ '@type': XDS_TYPES.cluster, name, type: 'EDS', edsClusterConfig: { edsConfig: { ads: {} } } });

const SNAPSHOTS = [
  build(view('greeter', 1, { resources: greeterResources(1) })),
  build(view('greeter', 2, { resources: [...greeterResources(1).slice(0, 3), endpointResource(2)] })),
  build(view('greeter', 2, { resources: greeterResources(1) }), view('extra', 1, { resources: [extra('extra-a')] })),
  build(view('extra', 2, { resources: [extra('extra-b'), extra('greeter-cluster')] })),
  build(),
];
const NAMES = ['greeter', 'greeter-route', 'greeter-cluster', 'extra-a', 'extra-b', 'other', '*'];

/** The client side of the protocol, as a model: what it holds per type, its subscriptions. */
class ModelClient {
  readonly holds = new Map<XdsTypeUrl, Map<string, string>>();
  readonly names = new Map<XdsTypeUrl, Set<string>>();
  readonly wildcard = new Map<XdsTypeUrl, boolean>();

  apply(res: DeltaDiscoveryResponse): void {
    const t = res.type_url as XdsTypeUrl;
    const held = this.holds.get(t)!;
    for (const r of res.resources) held.set(r.name, r.version);
    for (const n of res.removed_resources) held.delete(n);
  }

  /** What the client should hold now: every resource in its subscription, at its current version. */
  expected(t: XdsTypeUrl, snapshot: XdsSnapshot): Map<string, string> {
    const all = snapshot.resources.get(t)!;
    const out = new Map<string, string>();
    for (const [n, r] of all) if (this.wildcard.get(t) || this.names.get(t)!.has(n)) out.set(n, resourceVersion(r));
    return out;
  }
}

describe('xDS incremental stream: any sequence of requests and snapshot changes (property)', () => {
  it('never throws; no empty response; nonces in order; after every step the client holds exactly its subscribed resources at their current versions', () => {
    const sub = fc.uniqueArray(fc.constantFrom(...NAMES), { maxLength: 3 });
    const op = fc.oneof(
      fc.record({ kind: fc.constant('request' as const), type: fc.constantFrom(...XDS_TYPE_URLS), subscribe: sub, unsubscribe: sub, initial: fc.dictionary(fc.constantFrom(...NAMES), fc.constantFrom('0123456789abcdef', 'current'), { maxKeys: 3 }), nack: fc.boolean() }),
      fc.record({ kind: fc.constant('snapshot' as const), index: fc.nat({ max: SNAPSHOTS.length - 1 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        let snapshot = SNAPSHOTS[0]!;
        const sent: DeltaDiscoveryResponse[] = [];
        const client = new ModelClient();
        const stream = new DeltaAdsStream(snapshot, { send: (r) => sent.push(r), acked: () => undefined, nacked: () => undefined }, silent);
        for (const o of ops) {
          const before = sent.length;
          if (o.kind === 'snapshot') {
            snapshot = SNAPSHOTS[o.index]!;
            stream.update(snapshot);
          } else {
            const t = o.type;
            const first = !client.holds.has(t);
            // Names both subscribed and unsubscribed in one request: the unsubscription wins (as the server applies them).
            const subscribe = o.subscribe;
            const unsubscribe = first ? [] : o.unsubscribe;
            let initial: Record<string, string> | undefined;
            if (first) {
              client.holds.set(t, new Map());
              client.names.set(t, new Set());
              client.wildcard.set(t, WILDCARD_TYPES.has(t) && subscribe.length === 0);
              initial = {};
              const all = snapshot.resources.get(t)!;
              for (const [n, v] of Object.entries(o.initial)) {
                if (n === '*') continue;
                const version = v === 'current' && all.has(n) ? resourceVersion(all.get(n)!) : '0123456789abcdef';
                initial[n] = version;
              }
            }
            const names = client.names.get(t)!;
            const held = client.holds.get(t)!;
            for (const n of subscribe) if (n === '*') client.wildcard.set(t, client.wildcard.get(t)! || WILDCARD_TYPES.has(t)); else names.add(n);
            const wasWildcard = client.wildcard.get(t)!;
            for (const n of unsubscribe) if (n === '*') client.wildcard.set(t, false); else names.delete(n);
            if (initial) {
              // The client holds what it says it holds, of what it subscribes to (or of everything, wildcard).
              for (const [n, v] of Object.entries(initial)) if (client.wildcard.get(t) || names.has(n)) held.set(n, v);
            }
            // A client drops what it unsubscribed from.
            const all = snapshot.resources.get(t)!;
            for (const n of unsubscribe) if (n !== '*' && !(client.wildcard.get(t) && all.has(n))) held.delete(n);
            if (wasWildcard && !client.wildcard.get(t)) for (const n of [...held.keys()]) if (!names.has(n)) held.delete(n);
            const last = [...sent].reverse().find((s) => s.type_url === t);
            stream.onRequest({
              type_url: t,
              resource_names_subscribe: subscribe,
              resource_names_unsubscribe: unsubscribe,
              ...(initial ? { initial_resource_versions: initial } : {}),
              response_nonce: last?.nonce ?? '',
              ...(o.nack && last ? { error_detail: { message: 'no' } } : {}),
            });
          }
          for (const res of sent.slice(before)) {
            assert.ok(res.resources.length + res.removed_resources.length > 0, 'no empty response');
            assert.equal(res.system_version_info, snapshot.version);
            client.apply(res);
          }
          for (const t of client.holds.keys()) assert.deepEqual(client.holds.get(t), client.expected(t, snapshot), `type ${t}`);
        }
        const nonces = sent.map((s) => Number(s.nonce));
        assert.deepEqual(nonces, nonces.map((_, i) => i + 1));
      }),
      { numRuns: 400 },
    );
  });
});
