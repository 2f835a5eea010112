import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
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
  SEALED_DATASCHEMA,
  sealedToCloudEvent,
  toBinary,
  toStructured,
} from '../../src/cloudevents/index.js';
import type { Message } from '../../src/message/types.js';
import { isPushmeshError } from '../../src/errors/index.js';

const FROM = 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst';
const LIMITS = { maxBytes: 65_536 };

function message(over: Partial<Message> = {}): Message {
  return { id: 'AAECAwQFBgcICQoLDA0ODw', from: FROM, to: '', topic: 'orders.created', time: 1_700_000_000_123, ttl: 600, urgency: 'normal', meta: {}, data: { kind: 'json', value: { n: 1 } }, ...over };
}

describe('CloudEvents mapping', () => {
  it('maps every message field as docs/backends.md says', () => {
    const ev = messageToCloudEvent(message({ to: 'b'.repeat(52), urgency: 'high', replace: 'status', meta: { lang: 'en', 'Content-Language': 'de', traceparent: '00-abc' } }));
    assert.deepEqual(JSON.parse(toStructured(ev).toString()), {
      specversion: '1.0',
      id: 'AAECAwQFBgcICQoLDA0ODw',
      source: `pushmesh://${FROM}`,
      type: 'orders.created',
      time: '2023-11-14T22:13:20.123Z',
      subject: 'b'.repeat(52),
      datacontenttype: 'application/json',
      data: { n: 1 },
      pushmeshttl: 600,
      pushmeshurgency: 'high',
      pushmeshreplace: 'status',
      lang: 'en',
      pmxinxw45dfnz2c2tdbnztxkylhmu: 'de',
      traceparent: '00-abc',
    });
  });

  it('text and bytes payloads: datacontenttype, data / data_base64, binary bodies', () => {
    const text = messageToCloudEvent(message({ data: { kind: 'text', value: 'hé' } }));
    assert.equal(text.datacontenttype, 'text/plain; charset=utf-8');
    assert.equal(text.data, 'hé');
    const bytes = messageToCloudEvent(message({ data: { kind: 'bytes', value: Uint8Array.of(0, 255) } }));
    assert.equal(bytes.datacontenttype, 'application/octet-stream');
    assert.equal(JSON.parse(toStructured(bytes).toString()).data_base64, 'AP8=');
    assert.deepEqual([...toBinary(bytes, { percentEncode: true, contentTypeHeader: true, ceContentType: false }).data], [0, 255]);
    const json = toBinary(messageToCloudEvent(message({ data: { kind: 'json', value: 'a string' } })), { percentEncode: true, contentTypeHeader: true, ceContentType: false });
    assert.equal(Buffer.from(json.data).toString(), '"a string"');
  });

  it('outside attributes kept in meta as ce-* go back out as those attributes', () => {
    const ev = messageToCloudEvent(message({ meta: { 'ce-subject': 'orders/1', 'ce-dataschema': 'https://schemas.example/order', 'ce-datacontenttype': 'image/png' }, data: { kind: 'bytes', value: Uint8Array.of(1) } }));
    assert.equal(ev.subject, 'orders/1');
    assert.equal(ev.dataschema, 'https://schemas.example/order');
    assert.equal(ev.datacontenttype, 'image/png');
    assert.equal(Object.keys(ev).some((k) => k.startsWith('pmx')), false);
  });

  it('meta keys: plain names stay, others are escaped reversibly, names made valid', () => {
    for (const key of ['lang', 'x1']) assert.equal(extensionNameOf(key), key);
    for (const key of ['Lang', 'x-trace', 'type', 'id', 'data', 'pushmeshttl', 'pmxfoo', 'ünï', 'a.b']) {
      const name = extensionNameOf(key);
      assert.match(name, /^pmx[a-z2-7]+$/);
      assert.equal(metaKeyOfExtension(name), key);
    }
    assert.equal(metaKeyOfExtension('pmxzz'), 'pmxzz', 'not a canonical escape: kept as the key');
    // Keys that are also Object.prototype names come back as plain own properties.
    const meta = JSON.parse('{"__proto__":"p","constructor":"c"}') as Record<string, string>;
    const back = inboundFromEvent(parseStructuredEvent(toStructured(messageToCloudEvent(message({ meta }))), LIMITS));
    assert.equal(back.kind, 'plain');
    assert.deepEqual(back.kind === 'plain' && Object.entries(back.meta).sort(), [['__proto__', 'p'], ['ce-source', `pushmesh://${FROM}`], ['constructor', 'c']]);
    assert.equal(Object.getPrototypeOf(back.kind === 'plain' && back.meta), Object.prototype);
    assert.throws(() => messageToCloudEvent(message({ meta: { '': 'x' } })), /empty meta key/);
  });

  it('sealed messages: only routing facts in the clear', () => {
    const wire = {
      id: 'AAECAwQFBgcICQoLDA0ODw',
      from: FROM,
      to: 'c'.repeat(52),
      ttl: 60,
      urgency: 'normal' as const,
      replace: '',
      time: 1_700_000_000_000,
      path: [],
      via: [],
      hopLimit: 16,
      receipt: false,
      authorization: 'vapid t=x, k=y',
      body: new Uint8Array(200).fill(7),
    };
    const ev = sealedToCloudEvent(wire);
    const json = JSON.parse(toStructured(ev).toString()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json).sort(), ['data_base64', 'datacontenttype', 'dataschema', 'id', 'source', 'specversion', 'subject', 'time', 'type']);
    assert.equal(json['type'], 'pushmesh.sealed');
    assert.equal(json['dataschema'], SEALED_DATASCHEMA);
    const back = inboundFromEvent(parseStructuredEvent(toStructured(ev), LIMITS));
    assert.equal(back.kind, 'sealed');
    assert.deepEqual(back.kind === 'sealed' && [...back.wire.body], [...wire.body]);
    // A sealed event whose attributes disagree with its message is refused.
    const lying = JSON.stringify({ ...json, subject: 'd'.repeat(52) });
    assert.throws(() => inboundFromEvent(parseStructuredEvent(Buffer.from(lying), LIMITS)), /subject differs/);
  });

  it('binary mode: header names case-insensitive, content-type as datacontenttype, percent-decoding', () => {
    const attrs = binaryAttributes(
      Object.entries({ 'CE-SpecVersion': '1.0', 'Ce-Id': 'x', 'ce-source': '/s', 'ce-type': 't', 'Content-Type': 'text/plain', 'ce-note': 'a%20%22b%22', other: 'ignored' }),
      { percentEncoded: true },
    );
    assert.deepEqual(attrs, { specversion: '1.0', id: 'x', source: '/s', type: 't', note: 'a "b"', datacontenttype: 'text/plain' });
    const ev = inboundFromEvent(parseBinaryEvent(attrs, Buffer.from('hello'), LIMITS));
    assert.equal(ev.kind === 'plain' && ev.data.kind, 'text');
    assert.throws(() => binaryAttributes([['ce-data', 'x']], { percentEncoded: false }), /data cannot travel as an attribute/);
    assert.throws(() => binaryAttributes([['ce-id', ['a', 'b']]], { percentEncoded: false }), /more than once/);
  });

  it('header values: RFC 7230 quoted strings, percent-encoding both ways, overlong UTF-8 refused', () => {
    assert.equal(encodeHeaderValue('Euro € 😀'), 'Euro%20%E2%82%AC%20%F0%9F%98%80');
    assert.equal(decodeHeaderValue('Euro%20%e2%82%ac%20%F0%9F%98%80', 'h'), 'Euro € 😀');
    assert.equal(decodeHeaderValue('"quoted \\"x\\" %41"', 'h'), 'quoted "x" A');
    for (const bad of ['%C0%A0', '%4', '%zz', '%FF']) {
      assert.throws(() => decodeHeaderValue(bad, 'h'), (err) => isPushmeshError(err) && err.code === 'ERR_BAD_EVENT');
    }
  });

  it('inbound data: content types decide the payload kind; absent type guesses like a foreign Web Push body', () => {
    const kind = (ct: string | undefined, body: string | Uint8Array): string => {
      const attrs: Record<string, string> = { specversion: '1.0', id: 'i', source: '/s', type: 't' };
      if (ct) attrs['datacontenttype'] = ct;
      const ev = inboundFromEvent(parseBinaryEvent(attrs, typeof body === 'string' ? Buffer.from(body) : body, LIMITS));
      return ev.kind === 'plain' ? ev.data.kind : 'sealed';
    };
    assert.equal(kind('application/json', '[1]'), 'json');
    assert.equal(kind('application/vnd.x+json', '{}'), 'json');
    assert.equal(kind('text/csv', 'a,b'), 'text');
    assert.equal(kind('text/plain; charset=latin1', 'x'), 'bytes');
    assert.equal(kind('image/png', 'x'), 'bytes');
    assert.equal(kind(undefined, '{"a":1}'), 'json');
    assert.equal(kind(undefined, 'plain words'), 'text');
    assert.equal(kind(undefined, Uint8Array.of(0xff, 0xfe)), 'bytes');
    assert.equal(kind(undefined, ''), 'json');
    assert.throws(() => kind('application/json', '{'), /not UTF-8 JSON/);
  });
});
