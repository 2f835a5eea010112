/**
 * Issue 17: the browser core's parsers of outside text, in Chromium
 * against the bundle, read exactly what the node's read (fast-check):
 * the relay's challenge frame, VAPID authorizations, cards, base64url
 * keys and the aes128gcm header. Each either gives the node's value or
 * refuses with the node's error code, and never throws anything else.
 */
import { strict as assert } from 'node:assert';
import { createECDH } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nodeIdFromPublicKey } from '../../src/identity/node-id.js';
import { MAX_CARD_BYTES, parseCard, parseCardText } from '../../src/identity/parse-card.js';
import { parseChallenge } from '../../src/transport/auth/ws-challenge.js';
import { decodeCanonicalBase64Url, fromBase64Url, toBase64Url } from '../../src/util/base64url.js';
import { parseAes128gcmHeader, parseVapidAuthorization } from '../../src/webpush/index.js';
import { corePageSuite, hex } from './core-harness.js';

type Outcome = { ok: unknown } | { code: string };

/** The node's outcome, in the form the page returns (bytes as hex). */
function nodeOutcome(fn: () => unknown): Outcome {
  try {
    return { ok: JSON.parse(JSON.stringify(fn(), (_k, v) => (v && v.type === 'Buffer' && Array.isArray(v.data) ? hex(Buffer.from(v.data)) : v))) };
  } catch (err) {
    return { code: (err as { code?: string }).code ?? `not a PushmeshError: ${String(err)}` };
  }
}

const key = (): Buffer => {
  const e = createECDH('prime256v1');
  e.generateKeys();
  return e.getPublicKey();
};

describe('browser core parsers of outside text read what the node reads', { timeout: 300_000 }, () => {
  const suite = corePageSuite();

  /** Runs `parser` (a core export name, or a small adapter below) on each input in the page. */
  const inPage = (parser: string, inputs: unknown[]): Promise<Outcome[]> =>
    suite.page.evaluate(
      async ({ parser, inputs }) => {
        const c = (globalThis as any).core;
        const run: Record<string, (x: any) => unknown> = {
          challenge: (x) => c.parseChallenge(x),
          vapid: (x) => c.parseVapidAuthorization(x),
          card: (x) => c.parseCard(x),
          cardText: (x) => c.parseCardText(x),
          b64: (x) => c.fromBase64Url(x),
          canonical: (x) => c.decodeCanonicalBase64Url(x) ?? null,
          header: (x) => {
            const hd = c.parseAes128gcmHeader(c.fromHex(x));
            return { salt: hd.salt, rs: hd.rs, keyid: hd.keyid, length: hd.length };
          },
        };
        const out = [];
        for (const x of inputs) {
          try {
            const v = await run[parser]!(x);
            out.push({ ok: JSON.parse(JSON.stringify(v === undefined ? null : v, (_k, v) => (v instanceof Uint8Array ? c.toHex(v) : v))) });
          } catch (err: any) {
            out.push({ code: err?.code ?? (err instanceof TypeError ? 'TypeError' : `not a PushmeshError: ${String(err)}`) });
          }
        }
        return out;
      },
      { parser, inputs },
    ) as Promise<Outcome[]>;

  it('the relay\'s challenge frame (any text, and challenge-shaped JSON)', async () => {
    const b64 = fc.oneof(fc.uint8Array({ minLength: 30, maxLength: 34 }).map((b) => toBase64Url(b)), fc.string({ maxLength: 50 }));
    const listener = fc.oneof(fc.constant(nodeIdFromPublicKey(key())), fc.string({ maxLength: 60 }), fc.constant(nodeIdFromPublicKey(key()).toUpperCase()));
    const shaped = fc
      .record({ type: fc.constantFrom('challenge', 'proof', 'x'), nonce: b64, listener, extra: fc.option(fc.string({ maxLength: 1200 }), { nil: undefined }) }, { requiredKeys: [] })
      .map((o) => JSON.stringify(o));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(shaped, fc.string({ maxLength: 80 }), fc.constantFrom('null', '[]', '1', '"x"', '{}')), { minLength: 1, maxLength: 25 }), async (list) => {
        const got = await inPage('challenge', list);
        const want = list.map((x) => nodeOutcome(() => parseChallenge(x, false)));
        assert.deepEqual(got, want);
      }),
      { numRuns: 60 },
    );
  });

  it('VAPID authorization headers (any text, and vapid-shaped headers)', async () => {
    const k = toBase64Url(key());
    const token = fc.oneof(fc.constant('eyJhIjoxfQ.eyJiIjoyfQ.c2ln'), fc.stringMatching(/^[A-Za-z0-9_.=-]{0,20}$/));
    const kText = fc.oneof(fc.constant(k), fc.constant(`${k}=`), fc.constant(k.slice(1)), fc.string({ maxLength: 20 }));
    const sep = fc.constantFrom(',', ', ', ' ,', ',,', ' ');
    const shaped = fc
      .tuple(fc.constantFrom('vapid ', 'VAPID  ', 'vapid', 'webpush ', ' vapid\t'), token, sep, kText, fc.boolean(), fc.constantFrom('t', 'T', 'x'), fc.constantFrom('', '"', ', t=a.b.c', ', foo=bar'))
      .map(([scheme, t, s, kk, swap, tn, tail]) => (swap ? `${scheme}k=${kk}${s}${tn}=${t}${tail}` : `${scheme}${tn}=${tail === '"' ? `"${t}"` : t}${s}k=${kk}${tail === '"' ? '' : tail}`));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(shaped, fc.string({ maxLength: 60 })), { minLength: 1, maxLength: 25 }), async (list) => {
        const got = await inPage('vapid', list);
        const want = list.map((x) => nodeOutcome(() => parseVapidAuthorization(x)));
        assert.deepEqual(got, want);
      }),
      { numRuns: 60 },
    );
  });

  it('cards (valid ones and every kind of damage)', async () => {
    const pub = key();
    const good = { id: nodeIdFromPublicKey(pub), endpoint: '', keys: { p256dh: toBase64Url(pub), auth: toBase64Url(Buffer.alloc(16, 7)) } };
    const offCurve = Buffer.from(pub);
    offCurve[64]! ^= 1;
    const mutation = fc.oneof(
      fc.constant((c: any) => c),
      fc.constant((c: any) => ({ ...c, endpoint: 'https://relay.example:15443/push/x' })),
      fc.constant((c: any) => ({ ...c, endpoint: 'http://relay.example/push/x' })),
      fc.constant((c: any) => ({ ...c, endpoint: 'https://u:p@relay.example/' })),
      fc.constant((c: any) => ({ ...c, endpoint: 'not a url' })),
      fc.constant((c: any) => ({ ...c, id: c.id.slice(1) })),
      fc.constant((c: any) => ({ ...c, id: nodeIdFromPublicKey(key()) })),
      fc.constant((c: any) => ({ ...c, keys: { ...c.keys, p256dh: toBase64Url(offCurve) } })),
      fc.constant((c: any) => ({ ...c, id: nodeIdFromPublicKey(offCurve), keys: { ...c.keys, p256dh: toBase64Url(offCurve) } })),
      fc.constant((c: any) => ({ ...c, keys: { ...c.keys, auth: toBase64Url(Buffer.alloc(15)) } })),
      fc.constant((c: any) => ({ ...c, keys: { ...c.keys, auth: `${c.keys.auth}==` } })),
      fc.constant((c: any) => ({ ...c, keys: { ...c.keys, p256dh: `${c.keys.p256dh}x` } })),
      fc.constant((c: any) => ({ ...c, keys: 'x' })),
      fc.constant((c: any) => ({ ...c, extra: 1, expirationTime: null })),
      fc.constant(() => null),
      fc.constant(() => [1]),
      fc.string({ maxLength: 6 }).map((k) => (c: any) => {
        const copy = { ...c };
        delete copy[k];
        return copy;
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 12 }), async (muts) => {
        const inputs = muts.map((m) => m(structuredClone(good)));
        const got = await inPage('card', inputs);
        const want = inputs.map((x) => nodeOutcome(() => parseCard(x)));
        assert.deepEqual(got, want);
      }),
      { numRuns: 40 },
    );
  });

  it('card text: the size bound is on UTF-8 bytes on both sides (multi-byte text around MAX_CARD_BYTES)', async () => {
    const pub = key();
    const good = { id: nodeIdFromPublicKey(pub), endpoint: '', keys: { p256dh: toBase64Url(pub), auth: toBase64Url(Buffer.alloc(16, 7)) } };
    const base = JSON.stringify({ ...good, note: '' }).length;
    // 1- to 4-byte characters; the text's UTF-16 length can be within the bound while its UTF-8 bytes are over it.
    const ch = fc.constantFrom('a', 'é', '€', '😀');
    await fc.assert(
      fc.asyncProperty(ch, fc.integer({ min: -64, max: 64 }), fc.constantFrom(1, 2, 3, 4), async (c, delta, div) => {
        const count = Math.max(0, Math.floor((MAX_CARD_BYTES - base) / div) + delta);
        const text = JSON.stringify({ ...good, note: c.repeat(Math.floor(count / c.length)) });
        const got = await inPage('cardText', [text]);
        assert.deepEqual(got, [nodeOutcome(() => parseCardText(text))]);
      }),
      { numRuns: 40 },
    );
  });

  it('base64url keys and tokens: the same bytes or the same refusal (any text)', async () => {
    const text = fc.oneof(fc.string({ maxLength: 12 }), fc.uint8Array({ maxLength: 10 }).map((b) => toBase64Url(b)), fc.stringMatching(/^[A-Za-z0-9_-]{0,11}={0,3}$/));
    await fc.assert(
      fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 40 }), async (list) => {
        assert.deepEqual(await inPage('b64', list), list.map((x) => nodeOutcome(() => fromBase64Url(x))).map((o) => ('code' in o ? { code: 'TypeError' } : o)));
        assert.deepEqual(await inPage('canonical', list), list.map((x) => nodeOutcome(() => decodeCanonicalBase64Url(x) ?? null)));
      }),
      { numRuns: 60 },
    );
  });

  it('aes128gcm headers (any bytes)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 30 }), async (list) => {
        const got = await inPage('header', list.map(hex));
        const want = list.map((x) =>
          nodeOutcome(() => {
            const hd = parseAes128gcmHeader(x);
            return { salt: hd.salt, rs: hd.rs, keyid: hd.keyid, length: hd.length };
          }),
        );
        assert.deepEqual(got, want);
      }),
      { numRuns: 60 },
    );
  });
});
