import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { AdsStream, XDS_TYPES, XDS_TYPE_URLS, XdsSnapshotBuilder, type DiscoveryRequest, type DiscoveryResponse } from '../../src/xds/index.js';
import type { ConfigView } from '../../src/signed-config/types.js';
import { greeterResources } from './greeter-resources.js';

const silent = pino({ level: 'silent' });
const view = (name: string, version: number, data: unknown): ConfigView => ({ namespace: 'xds', name, version, data, owner: 'o', iat: 0, encrypted: false, readable: true, acceptedAt: 0 });

describe('xDS ADS stream: any sequence of requests (property)', () => {
  it('never throws; answers only served types, each response a new nonce, only subscribed resources (wildcard only for LDS/CDS)', () => {
    const snapshot = new XdsSnapshotBuilder('xds', silent).build([view('greeter', 1, { resources: greeterResources(1) })], () => undefined);
    const names = fc.array(fc.constantFrom('greeter', 'greeter-route', 'greeter-cluster', '*', '', 'other'), { maxLength: 4 });
    const request = fc.record(
      {
        type_url: fc.constantFrom(...XDS_TYPE_URLS, 'type.googleapis.com/envoy.config.core.v3.Secret', ''),
        resource_names: names,
        nonce: fc.oneof(fc.constant('last'), fc.constant(''), fc.string({ maxLength: 3 })),
        version_info: fc.string({ maxLength: 8 }),
        nack: fc.option(fc.string({ maxLength: 20 })),
        node: fc.option(fc.record({ id: fc.string({ maxLength: 8 }) })),
      },
      { requiredKeys: ['type_url'] },
    );
    fc.assert(
      fc.property(fc.array(request, { maxLength: 25 }), (reqs) => {
        const sent: DiscoveryResponse[] = [];
        const stream = new AdsStream(snapshot, { send: (r) => sent.push(r), acked: () => undefined, nacked: () => undefined }, silent);
        for (const r of reqs) {
          const last = [...sent].reverse().find((s) => s.type_url === r.type_url)?.nonce ?? '';
          const req: DiscoveryRequest = {
            type_url: r.type_url,
            resource_names: r.resource_names ?? [],
            response_nonce: r.nonce === 'last' ? last : (r.nonce ?? ''),
            version_info: r.version_info ?? '',
            ...(r.nack ? { error_detail: { message: r.nack } } : {}),
            ...(r.node ? { node: r.node } : {}),
          };
          const before = sent.length;
          stream.onRequest(req);
          for (const res of sent.slice(before)) {
            assert.ok((XDS_TYPE_URLS as readonly string[]).includes(res.type_url));
            const asked = new Set(req.resource_names);
            const wildcard = (res.type_url === XDS_TYPES.listener || res.type_url === XDS_TYPES.cluster) && (asked.size === 0 || asked.has('*'));
            const all = snapshot.resources.get(res.type_url as (typeof XDS_TYPE_URLS)[number])!;
            assert.equal(res.resources.length, wildcard ? all.size : [...asked].filter((n) => all.has(n)).length);
            assert.equal(res.version_info, snapshot.version);
          }
        }
        const nonces = sent.map((s) => Number(s.nonce));
        assert.deepEqual(nonces, nonces.map((_, i) => i + 1));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the last accepted version across a NACK; a stale nonce changes nothing', () => {
    const builder = new XdsSnapshotBuilder('xds', silent);
    const s1 = builder.build([view('greeter', 1, { resources: greeterResources(1) })], () => undefined);
    const sent: DiscoveryResponse[] = [];
    const nacks: string[] = [];
    const stream = new AdsStream(s1, { send: (r) => sent.push(r), acked: () => undefined, nacked: (_t, m) => nacks.push(m) }, silent);
    const eds = XDS_TYPES.endpoint;
    stream.onRequest({ type_url: eds, resource_names: ['greeter-cluster'] });
    stream.onRequest({ type_url: eds, resource_names: ['greeter-cluster'], version_info: sent[0]!.version_info, response_nonce: sent[0]!.nonce });
    assert.equal(stream.accepted(eds), s1.version);
    stream.update(builder.build([view('greeter', 2, { resources: greeterResources(2) })], () => undefined));
    assert.equal(sent.length, 2);
    stream.onRequest({ type_url: eds, resource_names: ['greeter-cluster'], version_info: s1.version, response_nonce: sent[1]!.nonce, error_detail: { message: 'no' } });
    assert.deepEqual(nacks, ['no']);
    assert.equal(stream.accepted(eds), s1.version);
    stream.onRequest({ type_url: eds, resource_names: [], response_nonce: sent[0]!.nonce }); // stale: the subscription stays
    assert.equal(sent.length, 2);
  });
});
