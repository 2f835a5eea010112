import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodePlaintext, encodePlaintext, jsonDepthExceeds, MAX_JSON_DEPTH } from '../../src/message/index.js';
import { pushmeshError } from '../helpers/errors.js';

/** Nesting depth the obvious recursive way (fine for the small values fast-check makes). */
function depth(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  return 1 + Math.max(0, ...(Array.isArray(v) ? v : Object.values(v)).map(depth));
}
const nested = (d: number, inner: unknown = 1): unknown => {
  let v = inner;
  for (let i = 0; i < d; i++) v = i % 2 ? [v] : { k: v };
  return v;
};
const fallback = { id: 'fallbackId', topic: 'webpush', time: 1 };

describe('JSON nesting bound', () => {
  it('jsonDepthExceeds agrees with a reference depth for any JSON value and bound (fast-check)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.nat({ max: 10 }), (v, max) => {
        assert.equal(jsonDepthExceeds(v, max), depth(v) > max);
      }),
      { numRuns: 2000 },
    );
  });

  it('handles depths far beyond the call stack, and the bound is exactly MAX_JSON_DEPTH', () => {
    assert.equal(jsonDepthExceeds(JSON.parse('['.repeat(200_000) + ']'.repeat(200_000))), true);
    assert.equal(jsonDepthExceeds(nested(MAX_JSON_DEPTH)), false);
    assert.equal(jsonDepthExceeds(nested(MAX_JSON_DEPTH + 1)), true);
  });

  it('encodePlaintext refuses deeper JSON data with ERR_BAD_MESSAGE', () => {
    const content = { id: 'abc', topic: 't', time: 1, meta: {} };
    assert.ok(encodePlaintext({ ...content, data: { kind: 'json', value: nested(MAX_JSON_DEPTH) } }).length > 0);
    assert.throws(() => encodePlaintext({ ...content, data: { kind: 'json', value: nested(MAX_JSON_DEPTH + 1) } }), pushmeshError('ERR_BAD_MESSAGE', /deeper than 100/));
  });

  it('decodePlaintext keeps too-deep JSON (ours or foreign) as text, never as a value apps cannot be given', () => {
    const ours = (d: number): Buffer => Buffer.from(JSON.stringify({ id: 'abc', topic: 't', time: 1, meta: {}, data: nested(d) }));
    const ok = decodePlaintext(ours(MAX_JSON_DEPTH), fallback);
    assert.equal(ok.foreign, false);
    assert.equal(ok.data.kind, 'json');
    const deep = ours(MAX_JSON_DEPTH + 1);
    assert.deepEqual(decodePlaintext(deep, fallback), { ...fallback, meta: {}, data: { kind: 'text', value: deep.toString() }, foreign: true });
    const bomb = Buffer.from('['.repeat(3000) + ']'.repeat(3000));
    assert.deepEqual(decodePlaintext(bomb, fallback).data, { kind: 'text', value: bomb.toString() });
  });
});
