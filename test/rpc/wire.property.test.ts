import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isPushmeshError } from '../../src/errors/index.js';
import { readRpcRequest, readRpcResponse } from '../../src/rpc/wire.js';

const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((k) => !['connection', 'te', 'trailer', 'upgrade', 'host', 'expect', 'keep-alive'].includes(k));
const headers = fc.dictionary(headerName, fc.stringMatching(/^[ -~]{0,40}$/), { maxKeys: 8, noNullPrototype: true });
const body = fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('base64'));

describe('request/response wire (outside input)', () => {
  it('valid requests and responses read back unchanged', () => {
    fc.assert(
      fc.property(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'), fc.webPath().map((p) => `/${p.replace(/^\/+/, '')}`), headers, body, (method, path, h, b) => {
        const req = { v: 1 as const, method, path, headers: h, body: b };
        assert.deepEqual(readRpcRequest(JSON.parse(JSON.stringify(req))), req);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), headers, body, (status, h, b) => {
        const res = { v: 1 as const, status, headers: h, body: b };
        assert.deepEqual(readRpcResponse(JSON.parse(JSON.stringify(res))), res);
      }),
    );
  });

  it('any JSON value is either read or refused with ERR_BAD_MESSAGE, never anything else', () => {
    const anyish = fc.oneof(
      fc.jsonValue(),
      fc.record({ v: fc.constantFrom(1, 2, '1'), method: fc.string(), path: fc.string(), headers: fc.jsonValue(), body: fc.string(), status: fc.jsonValue(), error: fc.jsonValue() }, { requiredKeys: [] }),
    );
    fc.assert(
      fc.property(anyish, (v) => {
        for (const read of [readRpcRequest, readRpcResponse]) {
          try {
            read(v);
          } catch (err) {
            assert.ok(isPushmeshError(err) && err.code === 'ERR_BAD_MESSAGE', String(err));
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses hop-by-hop headers, header injection and paths that leave the service', () => {
    const base = { v: 1, method: 'GET', path: '/a', headers: {}, body: '' };
    for (const bad of [
      { ...base, headers: { host: 'evil' } },
      { ...base, headers: { 'x-a': 'b\r\nx-c: d' } },
      { ...base, path: '//evil.example/a' },
      { ...base, path: 'http://evil.example/' },
      { ...base, method: 'get' },
      { ...base, body: 'not base64!' },
    ]) {
      assert.throws(() => readRpcRequest(bad), (e: unknown) => isPushmeshError(e) && e.code === 'ERR_BAD_MESSAGE', JSON.stringify(bad));
    }
  });
});
