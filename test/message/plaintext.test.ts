import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodePlaintext, encodePlaintext, newMessageId, type PlaintextContent } from '../../src/message/index.js';
import { throwsCode } from '../proto/fixtures.js';

const fallback = { id: 'fallbackId', topic: 'webpush', time: 1_700_000_000_000 };
const base = { id: 'AAECAwQFBgcICQoLDA0ODw', topic: 'chat/room1', time: 1_700_000_000_123, meta: { lang: 'en' } };

describe('plaintext JSON', () => {
  it('is exactly the documented JSON for each payload kind (test vectors)', () => {
    const cases: Array<[PlaintextContent, string]> = [
      [
        { ...base, data: { kind: 'json', value: { text: 'hi', n: 1 } } },
        '{"id":"AAECAwQFBgcICQoLDA0ODw","topic":"chat/room1","time":1700000000123,"meta":{"lang":"en"},"data":{"text":"hi","n":1}}',
      ],
      [
        { ...base, data: { kind: 'text', value: 'plain text' } },
        '{"id":"AAECAwQFBgcICQoLDA0ODw","topic":"chat/room1","time":1700000000123,"meta":{"lang":"en"},"encoding":"text","data":"plain text"}',
      ],
      [
        { ...base, data: { kind: 'bytes', value: Buffer.from([0, 1, 2, 0xfe, 0xff]) } },
        '{"id":"AAECAwQFBgcICQoLDA0ODw","topic":"chat/room1","time":1700000000123,"meta":{"lang":"en"},"encoding":"base64","data":"AAEC/v8="}',
      ],
    ];
    for (const [content, json] of cases) {
      assert.equal(encodePlaintext(content).toString('utf8'), json);
      assert.deepEqual(decodePlaintext(Buffer.from(json), fallback), { ...content, foreign: false });
    }
  });

  it('round-trips json, text and bytes payloads, meta included', () => {
    for (const data of [
      { kind: 'json', value: null },
      { kind: 'json', value: 'a JSON string' },
      { kind: 'json', value: [1, { a: [true] }] },
      { kind: 'text', value: '' },
      { kind: 'text', value: '{"not":"parsed"}' },
      { kind: 'bytes', value: Buffer.alloc(0) },
    ] as const) {
      const content = { ...base, meta: {}, data };
      assert.deepEqual(decodePlaintext(encodePlaintext(content), fallback), { ...content, foreign: false });
    }
  });

  it('keeps a "__proto__" meta key as data, not as a prototype', () => {
    const meta = JSON.parse('{"__proto__":"x","a":"b"}') as Record<string, string>;
    const out = decodePlaintext(encodePlaintext({ ...base, meta, data: { kind: 'json', value: 1 } }), fallback);
    assert.equal(Object.getPrototypeOf(out.meta), Object.prototype);
    assert.deepEqual(Object.keys(out.meta), ['__proto__', 'a']);
  });

  it('refuses a JSON payload with no JSON form', () => {
    throwsCode(() => encodePlaintext({ ...base, data: { kind: 'json', value: undefined } }), 'ERR_BAD_MESSAGE');
    throwsCode(() => encodePlaintext({ ...base, data: { kind: 'json', value: 10n } }), 'ERR_BAD_MESSAGE');
  });

  it('reads unpadded base64 as well', () => {
    const json = JSON.stringify({ ...base, encoding: 'base64', data: 'AAEC/v8' });
    assert.deepEqual(decodePlaintext(Buffer.from(json), fallback).data, { kind: 'bytes', value: Buffer.from([0, 1, 2, 0xfe, 0xff]) });
  });
});

describe('foreign bodies (plain Web Push senders) become data', () => {
  const foreign = (bytes: Uint8Array) => decodePlaintext(bytes, fallback);

  it('JSON that is not our shape: the JSON value', () => {
    assert.deepEqual(foreign(Buffer.from('{"title":"Hello","body":"World"}')), {
      ...fallback,
      meta: {},
      data: { kind: 'json', value: { title: 'Hello', body: 'World' } },
      foreign: true,
    });
    assert.deepEqual(foreign(Buffer.from('42')).data, { kind: 'json', value: 42 });
  });

  it('near misses of our shape are foreign too', () => {
    const nearMisses = [
      { ...base, data: 1, id: '' }, // bad id
      { ...base, data: 1, id: 'a b' },
      { ...base, data: 1, time: -5 },
      { ...base, data: 1, time: '1' },
      { ...base, data: 1, topic: 3 },
      { ...base, data: 1, meta: { a: 1 } },
      { ...base, data: 1, meta: [] },
      { ...base }, // no data
      { ...base, data: 'AA', encoding: 'gzip' },
      { ...base, data: 'A', encoding: 'base64' }, // impossible length
      { ...base, data: 'A*==', encoding: 'base64' },
      { ...base, data: 5, encoding: 'text' },
    ];
    for (const value of nearMisses) {
      const out = foreign(Buffer.from(JSON.stringify(value)));
      assert.equal(out.foreign, true, JSON.stringify(value));
      assert.deepEqual(out.data, { kind: 'json', value: JSON.parse(JSON.stringify(value)) });
      assert.equal(out.id, fallback.id);
    }
  });

  it('UTF-8 that is not JSON: text', () => {
    assert.deepEqual(foreign(Buffer.from('héllo wörld')).data, { kind: 'text', value: 'héllo wörld' });
    assert.deepEqual(foreign(Buffer.alloc(0)).data, { kind: 'text', value: '' });
  });

  it('not UTF-8: bytes', () => {
    const bytes = Buffer.from([0xff, 0x00, 0xc3]);
    assert.deepEqual(foreign(bytes), { ...fallback, meta: {}, data: { kind: 'bytes', value: bytes }, foreign: true });
  });

  it('strict UTF-8, as a fatal TextDecoder reads it: overlong forms, surrogates, code points past U+10FFFF and cut sequences are bytes; a BOM stays in the text', () => {
    for (const hex of ['c0af', 'e080af', 'eda080', 'edbfbf', 'f4908080', 'f8888080', 'e282', 'f09f98', '41c3']) {
      const bytes = Buffer.from(hex, 'hex');
      assert.deepEqual(foreign(bytes).data, { kind: 'bytes', value: bytes }, hex);
    }
    assert.deepEqual(foreign(Buffer.from('efbbbf41', 'hex')).data, { kind: 'text', value: '\ufeffA' });
    assert.deepEqual(foreign(Buffer.from('f48fbfbf', 'hex')).data, { kind: 'text', value: '\u{10ffff}' });
    const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (bytes) => {
        let text: string | null;
        try {
          text = fatal.decode(bytes);
        } catch {
          text = null;
        }
        const out = foreign(Buffer.from(bytes)).data;
        if (text === null) assert.equal(out.kind, 'bytes');
        else assert.notEqual(out.kind, 'bytes');
      }),
      { numRuns: 5000 },
    );
  });

  it('never throws on any bytes, and returns the input when foreign (fast-check)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string().map((s) => Buffer.from(s)), fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? ''))), (bytes) => {
        const out = decodePlaintext(bytes, fallback);
        if (out.foreign) {
          assert.equal(out.id, fallback.id);
          if (out.data.kind === 'bytes') assert.deepEqual(Buffer.from(out.data.value), Buffer.from(bytes));
          if (out.data.kind === 'text') assert.equal(out.data.value, Buffer.from(bytes).toString('utf8'));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('random contents round-trip (fast-check)', () => {
    const payload = fc.oneof(
      fc.jsonValue().map((value) => ({ kind: 'json' as const, value: JSON.parse(JSON.stringify(value)) as unknown })),
      fc.string({ unit: 'grapheme' }).map((value) => ({ kind: 'text' as const, value })),
      fc.uint8Array({ maxLength: 200 }).map((value) => ({ kind: 'bytes' as const, value: Buffer.from(value) })),
    );
    fc.assert(
      fc.property(
        fc.record({
          id: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
          topic: fc.string(),
          time: fc.maxSafeNat(),
          meta: fc.dictionary(fc.string(), fc.string(), { noNullPrototype: true }),
          data: payload,
        }),
        (content) => {
          assert.deepEqual(decodePlaintext(encodePlaintext(content), fallback), { ...content, foreign: false });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('message IDs', () => {
  it('are 22 base64url characters of 16 random bytes, distinct', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newMessageId()));
    assert.equal(ids.size, 1000);
    for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(newMessageId((n) => Buffer.alloc(n, 0xff)), '_____________________w');
  });
});
