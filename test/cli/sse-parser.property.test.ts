import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseSince } from '../../src/cli/since.js';
import { SseParser, type SseEvent } from '../../src/cli/sse-parser.js';
import { onlyTyped } from '../helpers/typed-errors.js';

/** Text of one line value: no CR or LF. */
const lineText = fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ' '));
const event = fc.record({
  event: fc.constantFrom('message', 'end', 'config'),
  id: fc.option(fc.nat().map(String), { nil: undefined }),
  lines: fc.array(lineText, { minLength: 1, maxLength: 3 }),
});
const eol = fc.constantFrom('\n', '\r\n', '\r');

/** Cuts `text` at the given points (chunks as a socket may deliver them). */
const cut = (text: string, points: number[]): string[] => {
  const at = [...new Set(points.map((p) => p % (text.length + 1)))].sort((x, y) => x - y);
  const out: string[] = [];
  let prev = 0;
  for (const p of at) {
    out.push(text.slice(prev, p));
    prev = p;
  }
  out.push(text.slice(prev));
  return out;
};

describe('the CLI\'s SSE parser and --since (fast-check)', () => {
  it('events written with any line ends, comments and cut anywhere come out whole, in order', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 6 }), eol, fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (events, nl, points, comments) => {
        let id: string | undefined;
        const expected: SseEvent[] = [];
        let text = comments ? `: pushmesh stream${nl}${nl}` : '';
        for (const e of events) {
          if (e.id !== undefined) id = e.id; // the last event ID persists (WHATWG)
          const ev: SseEvent = { event: e.event, data: e.lines.join('\n') };
          if (id !== undefined) ev.id = id;
          expected.push(ev);
          text += (e.event === 'message' ? '' : `event: ${e.event}${nl}`) + (e.id !== undefined ? `id: ${e.id}${nl}` : '') + e.lines.map((l) => `data: ${l}${nl}`).join('') + (comments ? `: ping${nl}` : '') + nl;
        }
        const parser = new SseParser();
        const got = cut(text, points).flatMap((chunk) => parser.push(chunk));
        assert.deepEqual(got, expected);
      }),
    );
  });

  it('any text: events or ERR_BAD_MESSAGE, nothing else thrown', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom('d', 'a', 't', ':', ' ', '\n', '\r', 'x', 'e', 'v', 'n', 'i') , maxLength: 40 }), { maxLength: 5 }), (chunks) => {
        const parser = new SseParser();
        for (const chunk of chunks) onlyTyped(['ERR_BAD_MESSAGE'], () => parser.push(chunk));
      }),
    );
  });

  it('--since: Unix ms as given, a duration ago from now, anything else ERR_BAD_ARGUMENT', () => {
    const now = 1_800_000_000_000;
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 12 }), fc.nat().map(String), fc.tuple(fc.nat({ max: 10_000 }), fc.constantFrom('ms', 's', 'm', 'h', 'd', 'w', '')).map(([n, u]) => `${n}${u}`)), (text) => {
        const r = onlyTyped(['ERR_BAD_ARGUMENT'], () => parseSince(text, now));
        const unit = /^(\d{1,9})(ms|s|m|h|d)$/.exec(text);
        assert.equal(r.ok, /^\d{1,15}$/.test(text) || unit !== null, text);
        if (r.ok && unit) assert.equal(r.value, Math.max(0, now - Number(unit[1]) * { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[unit[2] as 'ms'] ));
        if (r.ok && !unit) assert.equal(r.value, Number(text));
      }),
    );
  });
});
