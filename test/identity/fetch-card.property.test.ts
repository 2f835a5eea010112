import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isPushmeshError } from '../../src/errors/index.js';
import { fetchCard } from '../../src/identity/index.js';
import { makeCard } from '../helpers/cards.js';
import { startHttpServer } from '../helpers/http-server.js';

describe('fetchCard from a real server answering anything (fast-check)', () => {
  it('gives the card, ERR_BAD_CARD or ERR_IO, never another error', async (t) => {
    const good = makeCard().card;
    let next: { status: number; headers: Record<string, string>; body: Buffer } = { status: 200, headers: {}, body: Buffer.alloc(0) };
    const server = await startHttpServer((_req, res) => {
      res.writeHead(next.status, next.headers);
      res.end(next.body);
    }, t);
    const answer = fc.record({
      status: fc.constantFrom(200, 201, 204, 301, 302, 400, 404, 500, 503),
      headers: fc.oneof(fc.constant({}), fc.constant({ 'content-type': 'application/json' }), fc.constant({ 'content-type': 'text/html; charset=latin1' })),
      body: fc.oneof(
        fc.constant(Buffer.from(JSON.stringify(good))),
        fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v))),
        fc.uint8Array({ maxLength: 500 }).map((b) => Buffer.from(b)),
        fc.constant(Buffer.from(JSON.stringify({ ...good, keys: { ...good.keys, auth: 'x' } }))),
        fc.constantFrom(16 * 1024 + 1, 100_000).map((n) => Buffer.alloc(n, 0x20)),
      ),
    });
    await fc.assert(
      fc.asyncProperty(answer, async (a) => {
        next = a;
        try {
          const card = await fetchCard(server.url, { timeoutMs: 10_000 });
          assert.deepEqual(card, good);
          assert.ok(a.status >= 200 && a.status < 300);
        } catch (err) {
          assert.ok(isPushmeshError(err), String(err));
          assert.ok(err.code === 'ERR_BAD_CARD' || err.code === 'ERR_IO', err.code);
        }
      }),
      { numRuns: 300 },
    );
  });
});
