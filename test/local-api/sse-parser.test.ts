/**
 * The SSE parser every test client uses reads a stream the same however
 * it is cut into chunks, with LF or CRLF line ends, comments and
 * multi-line data (property test), so tests see what the node sent.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SseParser, type SseEvent } from '../helpers/sse-parser.js';

const field = fc.stringMatching(/^[a-z0-9 {}":,]{0,20}$/);

describe('test SSE parser', () => {
  it('gives the same events whatever the chunking and line ends', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.option(field, { nil: undefined }), event: fc.option(fc.constantFrom('end', 'update'), { nil: undefined }), lines: fc.array(field, { minLength: 1, maxLength: 3 }) }), { maxLength: 6 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 8 }),
        (evs, crlf, cuts) => {
          const eol = crlf ? '\r\n' : '\n';
          let text = `: hello${eol}${eol}`;
          for (const e of evs) {
            if (e.id !== undefined) text += `id: ${e.id}${eol}`;
            if (e.event !== undefined) text += `event: ${e.event}${eol}`;
            for (const l of e.lines) text += `data: ${l}${eol}`;
            text += eol;
          }
          const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const parser = new SseParser();
          const got: SseEvent[] = [];
          let from = 0;
          for (const c of [...at, text.length]) {
            got.push(...parser.feed(text.slice(from, c)));
            from = c;
          }
          const want = evs.map((e) => ({ ...(e.id !== undefined ? { id: e.id } : {}), event: e.event ?? 'message', data: e.lines.join('\n') }));
          assert.deepEqual(
            got.map((g) => ({ ...(g.id !== undefined ? { id: g.id } : {}), event: g.event, data: g.data })),
            want,
          );
        },
      ),
    );
  });
});
