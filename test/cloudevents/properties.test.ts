import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  binaryAttributes,
  decodeHeaderValue,
  encodeHeaderValue,
  extensionNameOf,
  inboundFromEvent,
  messageToCloudEvent,
  metaKeyOfExtension,
  parseBinaryEvent,
  parseStructuredEvent,
  toBinary,
  toStructured,
  type InboundEvent,
} from '../../src/cloudevents/index.js';
import { isPushmeshError } from '../../src/errors/index.js';
import { URGENCIES, validateMessage, type Message, type Payload } from '../../src/message/index.js';

const RUNS = 400;
const LIMITS = { maxBytes: 65_536 };
const FROM = 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst';

/** Runs the whole outside-input path; only ERR_BAD_EVENT / ERR_BAD_MESSAGE may be thrown. */
function outcome(fn: () => InboundEvent): InboundEvent | 'refused' {
  try {
    return fn();
  } catch (err) {
    if (isPushmeshError(err) && (err.code === 'ERR_BAD_EVENT' || err.code === 'ERR_BAD_MESSAGE')) return 'refused';
    throw err;
  }
}

/** What an accepted plaintext event must satisfy to become a message. */
function checkPlain(ev: InboundEvent): void {
  if (ev.kind !== 'plain') return;
  const msg: Message = { id: ev.id, from: FROM, to: '', topic: ev.topic, time: ev.time ?? 0, ttl: ev.ttl ?? 60, urgency: ev.urgency, meta: ev.meta, data: ev.data };
  if (ev.replace !== undefined) msg.replace = ev.replace;
  validateMessage(msg);
}

const attrValue = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('1.0', '/s', 'id-1', 't', '2024-01-01T00:00:00Z', 'application/json', 'text/plain', '60', 'high'));
const attrName = fc.oneof(
  fc.constantFrom('specversion', 'id', 'source', 'type', 'time', 'subject', 'datacontenttype', 'dataschema', 'pushmeshttl', 'pushmeshurgency', 'pushmeshreplace', 'data', 'data_base64'),
  fc.string({ maxLength: 12 }),
);

describe('CloudEvents parsing of outside input (properties)', () => {
  it('arbitrary bytes as a structured event: parsed or refused with ERR_BAD_EVENT, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        outcome(() => inboundFromEvent(parseStructuredEvent(bytes, LIMITS)));
      }),
      { numRuns: RUNS },
    );
  });

  it('arbitrary JSON objects around valid required attributes: accepted ones make valid messages', () => {
    const doc = fc.record(
      {
        specversion: fc.oneof(fc.constant('1.0'), fc.jsonValue()),
        id: fc.oneof(fc.string({ minLength: 1, maxLength: 70 }), fc.jsonValue()),
        source: fc.oneof(fc.constantFrom('/s', 'https://a.example/x', 'urn:x'), fc.string()),
        type: fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.jsonValue()),
        time: fc.oneof(fc.date({ min: new Date(0), max: new Date('2200-01-01'), noInvalidDate: true }).map((d) => d.toISOString()), fc.string()),
        datacontenttype: fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', 'image/png', 'application/protobuf'),
        data: fc.jsonValue(),
        data_base64: fc.oneof(fc.base64String(), fc.string()),
        extra: fc.dictionary(attrName, fc.oneof(attrValue, fc.integer(), fc.boolean(), fc.jsonValue()), { maxKeys: 4 }),
      },
      { requiredKeys: ['specversion', 'id', 'source', 'type'] },
    );
    fc.assert(
      fc.property(doc, ({ extra, ...d }) => {
        const body = Buffer.from(JSON.stringify({ ...extra, ...d }));
        const r = outcome(() => inboundFromEvent(parseStructuredEvent(body, LIMITS)));
        if (r !== 'refused') checkPlain(r);
      }),
      { numRuns: RUNS },
    );
  });

  it('arbitrary headers and bodies in binary mode: parsed or refused, never a crash', () => {
    const headers = fc.array(fc.tuple(fc.oneof(attrName.map((n) => `ce-${n}`), fc.constantFrom('content-type', 'Content-Type', 'CE-ID'), fc.string({ maxLength: 10 })), attrValue), { maxLength: 10 });
    fc.assert(
      fc.property(headers, fc.uint8Array({ maxLength: 100 }), fc.boolean(), (hs, body, percent) => {
        const base: Array<[string, string]> = [['ce-specversion', '1.0'], ['ce-id', 'x'], ['ce-source', '/s'], ['ce-type', 't']];
        const r = outcome(() => inboundFromEvent(parseBinaryEvent(binaryAttributes([...base.filter(([k]) => !hs.some(([h]) => h.toLowerCase() === k)), ...hs], { percentEncoded: percent }), body, LIMITS)));
        if (r !== 'refused') checkPlain(r);
      }),
      { numRuns: RUNS },
    );
  });

  it('header values: decode(encode(s)) = s for any string; decoding anything only ever refuses with ERR_BAD_EVENT', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const enc = encodeHeaderValue(s);
        assert.match(enc, /^[\x21-\x7e]*$/);
        assert.equal(decodeHeaderValue(enc, 'h'), s);
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (s) => {
        try {
          decodeHeaderValue(s, 'h');
        } catch (err) {
          assert.ok(isPushmeshError(err) && err.code === 'ERR_BAD_EVENT');
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('meta key ↔ extension name is one-to-one and names are valid attribute names', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }), (key) => {
        const name = extensionNameOf(key);
        assert.match(name, /^[a-z0-9]+$/);
        assert.equal(metaKeyOfExtension(name), key);
      }),
      { numRuns: RUNS },
    );
  });

  it('round trip: any message → CloudEvent (structured, and binary with percent-encoding) → the same message', () => {
    const payload: fc.Arbitrary<Payload> = fc.oneof(
      fc.jsonValue().map((v) => ({ kind: 'json' as const, value: JSON.parse(JSON.stringify(v)) as unknown })),
      fc.string({ unit: 'binary', maxLength: 40 }).map((v) => ({ kind: 'text' as const, value: v })),
      fc.uint8Array({ maxLength: 40 }).map((v) => ({ kind: 'bytes' as const, value: v })),
    );
    const msg = fc.record({
      id: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
      topic: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter((t) => t.trim() !== '' || t.length > 0),
      time: fc.integer({ min: 0, max: Date.parse('9999-12-31T23:59:59.999Z') }),
      ttl: fc.integer({ min: 0, max: 2_419_200 }),
      urgency: fc.constantFrom(...URGENCIES),
      replace: fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/), { nil: undefined }),
      meta: fc.dictionary(
        fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }).filter((k) => !k.startsWith('ce-')), fc.constantFrom('__proto__', 'constructor', 'toString', 'type', 'pushmeshttl', 'pmx')),
        fc.string({ unit: 'binary', maxLength: 20 }),
        { maxKeys: 5 },
      ),
      data: payload,
    });
    fc.assert(
      fc.property(msg, fc.boolean(), (m, binary) => {
        const message: Message = { ...m, from: FROM, to: '' };
        if (m.replace === undefined) delete message.replace;
        const ev = messageToCloudEvent(message);
        const parsed = binary
          ? (() => {
              const b = toBinary(ev, { percentEncode: true, contentTypeHeader: false, ceContentType: true });
              return parseBinaryEvent(binaryAttributes(b.headers, { percentEncoded: true }), b.data, LIMITS);
            })()
          : parseStructuredEvent(toStructured(ev), LIMITS);
        const back = inboundFromEvent(parsed);
        assert.equal(back.kind, 'plain');
        if (back.kind !== 'plain') return;
        assert.equal(back.id, m.id);
        assert.equal(back.topic, m.topic);
        assert.equal(back.time, m.time);
        assert.equal(back.ttl, m.ttl);
        assert.equal(back.urgency, m.urgency);
        assert.equal(back.replace, m.replace);
        assert.deepEqual(back.meta, { ...m.meta, 'ce-source': `pushmesh://${FROM}` });
        if (m.data.kind === 'bytes') assert.deepEqual(back.data.kind === 'bytes' && [...back.data.value], [...m.data.value]);
        else assert.deepEqual(back.data, m.data);
      }),
      { numRuns: RUNS },
    );
  });
});
