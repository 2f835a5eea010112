import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isPushmeshError } from '../../src/errors/index.js';
import { payloadFromBody } from '../../src/local-api/payload-from-body.js';
import { parseReplay } from '../../src/local-api/replay-params.js';
import { parseSendParams } from '../../src/local-api/send-params.js';

const isOneOf = (err: unknown, ...codes: string[]) => isPushmeshError(err) && codes.includes(err.code);

describe('local API parsers of outside input (properties)', () => {
  it('payloadFromBody: any content type and bytes → a payload, 400 or 415', () => {
    const type = fc.oneof(
      fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/octet-stream', 'application/cloudevents+json', 'image/png', ''),
      fc.string({ maxLength: 30 }),
      fc.constant(undefined),
    );
    const body = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.jsonValue().map((v) => new TextEncoder().encode(JSON.stringify(v))));
    fc.assert(
      fc.property(type, body, (ct, bytes) => {
        try {
          const p = payloadFromBody(ct, Buffer.from(bytes));
          assert.ok(['json', 'text', 'bytes'].includes(p.kind));
        } catch (err) {
          assert.ok(isOneOf(err, 'ERR_BAD_ARGUMENT', 'ERR_UNSUPPORTED'), String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('parseSendParams: any topic and query → a send request or ERR_BAD_ARGUMENT', () => {
    const val = fc.oneof(fc.string({ maxLength: 60 }), fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }), fc.nat().map(String));
    const query = fc.dictionary(fc.constantFrom('to', 'ttl', 'urgency', 'replace', 'via', 'receipt', 'other'), val);
    fc.assert(
      fc.property(fc.string({ maxLength: 140 }), query, (topic, q) => {
        try {
          const r = parseSendParams(topic, q, { kind: 'json', value: 1 }, { maxTtl: 1000 });
          assert.ok(r.ttl >= 0 && r.ttl <= 1000);
          assert.ok(r.to === '' || /^[a-z2-7]{52}$/.test(r.to));
        } catch (err) {
          assert.ok(isOneOf(err, 'ERR_BAD_ARGUMENT'), String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('parseReplay: any Last-Event-ID and since → a replay point, none, or ERR_BAD_ARGUMENT', () => {
    fc.assert(
      fc.property(fc.option(fc.oneof(fc.string({ maxLength: 25 }), fc.array(fc.string({ maxLength: 5 }), { maxLength: 2 }))), fc.option(fc.oneof(fc.string({ maxLength: 20 }), fc.integer())), (id, since) => {
        try {
          const r = parseReplay(id ?? undefined, since ?? undefined);
          if (r?.after !== undefined) assert.ok(Number.isFinite(r.after));
          if (r?.since !== undefined) assert.ok(Number.isFinite(r.since));
        } catch (err) {
          assert.ok(isOneOf(err, 'ERR_BAD_ARGUMENT'), String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
