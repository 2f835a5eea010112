import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { appJsonText } from '../../src/local-api/app-json.js';
import { payloadFromBody } from '../../src/local-api/payload-from-body.js';
import { parseReplay } from '../../src/local-api/replay-params.js';
import { parseSendParams, parseTopic } from '../../src/local-api/send-params.js';
import { formatVip6, parseVip6 } from '../../src/identity/vip6.js';
import { MAX_JSON_DEPTH } from '../../src/message/json-depth.js';
import { URGENCIES, type Payload } from '../../src/message/types.js';
import { makeCard } from '../helpers/cards.js';
import { onlyTyped } from '../helpers/typed-errors.js';

const MAX_TTL = 2_419_200;
const nodeId = fc.constantFrom(...Array.from({ length: 4 }, () => makeCard().card.id));
const TOPIC_CHARS = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~:@!$&'()*+,;=-"];
const validTopic = fc.string({ unit: fc.constantFrom(...TOPIC_CHARS), minLength: 1, maxLength: 128 });
const anyText = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ unit: 'grapheme', maxLength: 20 }));
/** VIP6 addresses (good ones in fd00::/64, in several forms) and near misses. */
const vip6ish = fc.oneof(
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => formatVip6(b)),
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => `[${formatVip6(b).toUpperCase()}]`),
  fc.constantFrom('fd00::1', 'fd00:0:0:0:0:0:0:1', 'fe80::1', 'fd00::zz', 'fd00:::1', '[fd00::1', 'fd00::1%eth0', ':', '[]'),
);
const isVip6 = (text: string): boolean => {
  try {
    parseVip6(text);
    return true;
  } catch {
    return false;
  }
};
const queryValue = fc.oneof(
  anyText,
  nodeId,
  fc.nat().map(String),
  fc.constantFrom(...URGENCIES, '1', 'true', '0', '', ','),
  fc.array(fc.string({ maxLength: 8 }), { minLength: 2, maxLength: 3 }),
  fc.array(nodeId, { minLength: 1, maxLength: 40 }).map((ids) => ids.join(',')),
  vip6ish,
  fc.array(fc.oneof(nodeId, vip6ish), { minLength: 1, maxLength: 4 }).map((ids) => ids.join(',')),
);
const query = fc.dictionary(fc.constantFrom('to', 'ttl', 'urgency', 'replace', 'via', 'receipt', 'other', '__proto__'), queryValue, { maxKeys: 7 });
const payload: fc.Arbitrary<Payload> = fc.oneof(
  fc.jsonValue().map((value) => ({ kind: 'json' as const, value })),
  fc.string().map((value) => ({ kind: 'text' as const, value })),
  fc.uint8Array({ maxLength: 64 }).map((value) => ({ kind: 'bytes' as const, value })),
  fc.integer({ min: MAX_JSON_DEPTH - 2, max: MAX_JSON_DEPTH + 2 }).map((d) => ({ kind: 'json' as const, value: JSON.parse('['.repeat(d) + ']'.repeat(d)) as unknown })),
);

describe('local API parameters and bodies (fast-check)', () => {
  it('parseTopic: any string is the topic itself or ERR_BAD_ARGUMENT', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, validTopic), (t) => {
        const r = onlyTyped(['ERR_BAD_ARGUMENT'], () => parseTopic(t));
        assert.equal(r.ok, /^[A-Za-z0-9._~:@!$&'()*+,;=-]{1,128}$/.test(t));
        if (r.ok) assert.equal(r.value, t);
      }),
      { numRuns: 2000 },
    );
  });

  it('parseSendParams: any query is a bounded SendRequest or ERR_BAD_ARGUMENT', () => {
    fc.assert(
      fc.property(fc.oneof(validTopic, anyText), query, payload, (topic, q, data) => {
        const r = onlyTyped(['ERR_BAD_ARGUMENT'], () => parseSendParams(topic, q, data, { maxTtl: MAX_TTL }));
        if (!r.ok) return;
        const s = r.value;
        assert.equal(s.topic, topic);
        assert.ok(s.to === '' || /^[a-z2-7]{52}$/.test(s.to) || isVip6(s.to), s.to);
        assert.ok(Number.isSafeInteger(s.ttl) && s.ttl >= 0 && s.ttl <= MAX_TTL);
        assert.ok(URGENCIES.includes(s.urgency));
        if (s.replace !== undefined) assert.match(s.replace, /^[A-Za-z0-9_-]{1,32}$/);
        for (const v of s.via ?? []) assert.ok(/^[a-z2-7]{52}$/.test(v) || isVip6(v), v);
        assert.equal(s.data, data);
      }),
      { numRuns: 3000 },
    );
  });

  it('parseSendParams: valid parameters round-trip', () => {
    fc.assert(
      fc.property(
        validTopic,
        fc.record(
          {
            to: nodeId,
            ttl: fc.nat({ max: MAX_TTL }),
            urgency: fc.constantFrom(...URGENCIES),
            replace: fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/),
            via: fc.uniqueArray(nodeId, { minLength: 1, maxLength: 4 }), // a node twice is refused (a loop)
            receipt: fc.boolean(),
          },
          { requiredKeys: [] },
        ),
        (topic, p) => {
          const q: Record<string, string> = {};
          if (p.to !== undefined) q['to'] = p.to;
          if (p.ttl !== undefined) q['ttl'] = String(p.ttl);
          if (p.urgency !== undefined) q['urgency'] = p.urgency;
          if (p.replace !== undefined) q['replace'] = p.replace;
          if (p.via !== undefined) q['via'] = p.via.join(',');
          if (p.receipt) q['receipt'] = '1';
          const data: Payload = { kind: 'json', value: { topic } };
          const s = parseSendParams(topic, q, data, { maxTtl: MAX_TTL });
          assert.deepEqual(s, {
            topic,
            to: p.to ?? '',
            data,
            ttl: p.ttl ?? 86_400,
            urgency: p.urgency ?? 'normal',
            ...(p.replace !== undefined ? { replace: p.replace } : {}),
            ...(p.via !== undefined ? { via: p.via } : {}),
            ...(p.receipt ? { receipt: true } : {}),
          });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('payloadFromBody: any content type and bytes give a payload, ERR_BAD_ARGUMENT or ERR_UNSUPPORTED', () => {
    const contentType = fc.oneof(
      fc.constant(undefined),
      anyText,
      fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/cloudevents+json', 'text/plain', 'text/html;x', 'application/octet-stream', 'multipart/form-data', ''),
    );
    const body = fc.oneof(
      fc.constant(undefined),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.string().map((s) => Buffer.from(s)),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
      fc.nat({ max: 20_000 }).map((d) => Buffer.from('['.repeat(d) + ']'.repeat(d))),
    );
    fc.assert(
      fc.property(contentType, body, (type, bytes) => {
        const r = onlyTyped(['ERR_BAD_ARGUMENT', 'ERR_UNSUPPORTED'], () => payloadFromBody(type, bytes));
        if (!r.ok) return;
        const t = (type ?? '').split(';')[0]!.trim().toLowerCase();
        const expected = t === 'application/json' || t.endsWith('+json') ? 'json' : t.startsWith('text/') ? 'text' : 'bytes';
        assert.equal(r.value.kind, expected);
        if (r.value.kind === 'bytes') assert.deepEqual(Buffer.from(r.value.value), bytes ?? Buffer.alloc(0));
      }),
      { numRuns: 2000 },
    );
  });

  it('payloadFromBody: JSON and text round-trip', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), (v, text) => {
        const json = payloadFromBody('application/json; charset=utf-8', Buffer.from(JSON.stringify(v)));
        assert.deepEqual(json, { kind: 'json', value: JSON.parse(JSON.stringify(v)) as unknown });
        assert.deepEqual(payloadFromBody('text/plain', Buffer.from(text)), { kind: 'text', value: text });
      }),
      { numRuns: 500 },
    );
  });

  it('parseReplay: any Last-Event-ID and since give a bounded replay point or ERR_BAD_ARGUMENT', () => {
    const header = fc.oneof(fc.constant(undefined), anyText, fc.bigInt({ min: 0n, max: 10n ** 21n }).map(String), fc.array(fc.nat().map(String), { minLength: 1, maxLength: 2 }));
    const since = fc.oneof(fc.constant(undefined), anyText, fc.nat().map(String), fc.constant(['1', '2']), fc.integer());
    fc.assert(
      fc.property(header, since, (h, s) => {
        const r = onlyTyped(['ERR_BAD_ARGUMENT'], () => parseReplay(h, s));
        if (!r.ok || r.value === undefined) return;
        for (const v of [r.value.after, r.value.since]) if (v !== undefined) assert.ok(Number.isFinite(v) && v >= 0);
      }),
      { numRuns: 2000 },
    );
    assert.deepEqual(parseReplay('42', '1700000000000'), { after: 42, since: 1_700_000_000_000 });
  });

  it('appJsonText never throws, and gives JSON apps can read', () => {
    const deep = (d: number): unknown => JSON.parse('['.repeat(d) + ']'.repeat(d)) as unknown;
    fc.assert(
      fc.property(fc.oneof(payload, fc.constantFrom(10_000, 50_000).map((d) => ({ kind: 'json' as const, value: deep(d) }))), (data) => {
        const ev = { seq: 1, message: { id: 'abc', from: '', to: '', topic: 't', time: 0, ttl: 60, urgency: 'normal' as const, meta: {}, data } };
        const out = JSON.parse(appJsonText(ev, { type: 'message' })) as Record<string, unknown>;
        assert.equal(out['type'], 'message');
        assert.equal(out['id'], 'abc');
        assert.ok('data' in out);
      }),
      { numRuns: 300 },
    );
  });
});
