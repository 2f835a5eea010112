import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isPushmeshError } from '../../src/errors/index.js';
import { cardFor, createIdentity, parseCard, parseCardText, type Card } from '../../src/identity/index.js';
import { makeCard } from '../helpers/cards.js';
import { pushmeshError } from '../helpers/errors.js';
import { tempHome } from '../helpers/temp-dir.js';

/** A deep copy of `card` with `edit` applied, for making one thing wrong at a time. */
function variant(card: Card, edit: (c: Record<string, any>) => void): unknown {
  const copy = JSON.parse(JSON.stringify(card)) as Record<string, any>;
  edit(copy);
  return copy;
}

/** A 65-byte uncompressed point that is not on P-256 (y flipped). */
function offCurve(p256dh: string): string {
  const bytes = Buffer.from(p256dh, 'base64url');
  bytes[64] = (bytes[64] ?? 0) ^ 1;
  return bytes.toString('base64url');
}

describe('cardFor', () => {
  it('builds {id, endpoint: origin/push/id, keys} that parseCard accepts', async (t) => {
    const identity = await createIdentity(await tempHome(t));
    const card = cardFor(identity, 'https://node.example:8443');
    assert.deepEqual(card, {
      id: identity.id,
      endpoint: `https://node.example:8443/push/${identity.id}`,
      keys: { p256dh: identity.publicKey.toString('base64url'), auth: identity.auth.toString('base64url') },
    });
    assert.deepEqual(parseCard(card), card);
    assert.equal(cardFor(identity, 'https://node.example:443/').endpoint, `https://node.example/push/${identity.id}`);
  });

  it('refuses an origin that is not https or has a path', async (t) => {
    const identity = await createIdentity(await tempHome(t));
    for (const bad of ['http://node.example', 'node.example:8443', 'https://node.example/base', 'https://u:p@node.example']) {
      assert.throws(() => cardFor(identity, bad), pushmeshError('ERR_BAD_ARGUMENT'), bad);
    }
  });

  it('no origin (HTTPS off, nothing advertised): a card without endpoint, which parseCard accepts', async (t) => {
    const identity = await createIdentity(await tempHome(t));
    const card = cardFor(identity, '');
    assert.equal(card.endpoint, '');
    assert.deepEqual(parseCard(card), card);
  });
});

describe('parseCard', () => {
  const { card } = makeCard();

  it('accepts a good card and returns a clean copy without unknown fields', () => {
    const withExtras = { ...card, expirationTime: null, note: 'x' };
    const parsed = parseCard(withExtras);
    assert.deepEqual(parsed, card);
    assert.notEqual(parsed, withExtras);
    assert.deepEqual(parseCardText(JSON.stringify(withExtras)), card);
  });

  const other = makeCard().card;
  const bad: Array<[string, unknown, RegExp]> = [
    ['null', null, /card is not a JSON object/],
    ['an array', [card], /card is not a JSON object/],
    ['a string', JSON.stringify(card), /card is not a JSON object/],
    ['id missing', variant(card, (c) => delete c['id']), /id is missing/],
    ['id a number', variant(card, (c) => (c['id'] = 7)), /id is not a string/],
    ['id too short', variant(card, (c) => (c['id'] = card.id.slice(1))), /52-character node ID/],
    ['id upper case', variant(card, (c) => (c['id'] = card.id.toUpperCase())), /52-character node ID/],
    ['id of another key', variant(card, (c) => (c['id'] = other.id)), /id does not match keys\.p256dh/],
    ['endpoint missing', variant(card, (c) => delete c['endpoint']), /endpoint is missing/],
    ['endpoint not a URL', variant(card, (c) => (c['endpoint'] = 'not a url')), /endpoint is not a URL/],
    ['endpoint http', variant(card, (c) => (c['endpoint'] = 'http://h/push/x')), /endpoint is not an https URL/],
    ['endpoint with credentials', variant(card, (c) => (c['endpoint'] = 'https://u:p@h/push/x')), /credentials/],
    ['keys missing', variant(card, (c) => delete c['keys']), /keys is not a JSON object/],
    ['keys an array', variant(card, (c) => (c['keys'] = [])), /keys is not a JSON object/],
    ['p256dh missing', variant(card, (c) => delete c['keys']['p256dh']), /keys\.p256dh is missing/],
    ['p256dh not base64url', variant(card, (c) => (c['keys']['p256dh'] = 'a+b/c=')), /keys\.p256dh is not base64url/],
    ['p256dh compressed', variant(card, (c) => (c['keys']['p256dh'] = Buffer.alloc(33, 2).toString('base64url'))), /65-byte uncompressed/],
    ['p256dh 64 bytes', variant(card, (c) => (c['keys']['p256dh'] = Buffer.from(card.keys.p256dh, 'base64url').subarray(1).toString('base64url'))), /65-byte uncompressed/],
    ['p256dh off the curve', variant(card, (c) => (c['keys']['p256dh'] = offCurve(card.keys.p256dh))), /not on the P-256 curve/],
    ['p256dh coordinates out of range', variant(card, (c) => (c['keys']['p256dh'] = Buffer.concat([Buffer.of(4), Buffer.alloc(64, 0xff)]).toString('base64url'))), /not on the P-256 curve/],
    ['auth missing', variant(card, (c) => delete c['keys']['auth']), /keys\.auth is missing/],
    ['auth 15 bytes', variant(card, (c) => (c['keys']['auth'] = Buffer.alloc(15).toString('base64url'))), /keys\.auth is not 16 bytes/],
    ['auth 17 bytes', variant(card, (c) => (c['keys']['auth'] = Buffer.alloc(17).toString('base64url'))), /keys\.auth is not 16 bytes/],
    ['auth not base64url', variant(card, (c) => (c['keys']['auth'] = '***')), /keys\.auth is not base64url/],
  ];
  for (const [name, value, reason] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(() => parseCard(value), pushmeshError('ERR_BAD_CARD', reason));
    });
  }

  it('parseCardText refuses invalid JSON and oversized text', () => {
    assert.throws(() => parseCardText('{'), pushmeshError('ERR_BAD_CARD', /not valid JSON/));
    assert.throws(() => parseCardText(' '.repeat(20_000) + JSON.stringify(card)), pushmeshError('ERR_BAD_CARD', /larger than/));
  });

  it('property: any JSON-ish value is either a valid card or ERR_BAD_CARD, never another exception', () => {
    const field = fc.oneof(fc.anything(), fc.string(), fc.constantFrom(card.id, card.endpoint, card.keys.p256dh, card.keys.auth));
    const mutated = fc
      .record({
        id: field,
        endpoint: field,
        keys: fc.oneof(fc.anything(), fc.record({ p256dh: field, auth: field }, { requiredKeys: [] })),
      }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.jsonValue(), mutated), (value) => {
        try {
          const parsed = parseCard(value);
          assert.equal(parsed.id, card.id); // only the real card's pieces can make a valid card
        } catch (err) {
          assert.ok(isPushmeshError(err) && err.code === 'ERR_BAD_CARD', `unexpected ${String(err)}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('property: JSON text of any shape is either a valid card or ERR_BAD_CARD', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          parseCardText(text);
        } catch (err) {
          assert.ok(isPushmeshError(err) && err.code === 'ERR_BAD_CARD', `unexpected ${String(err)}`);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
