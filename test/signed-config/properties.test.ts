import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigRefusedError, signConfig, verifySignedConfig } from '../../src/signed-config/index.js';
import { makeOwner } from './fixtures.js';

const RUNS = 300;
const owner = makeOwner();
const B64URL_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Verifies; a ConfigRefusedError is an expected outcome, anything else thrown fails the property. */
async function outcome(jws: unknown, isOwner?: (ns: string, id: string) => boolean): Promise<'ok' | ConfigRefusedError> {
  try {
    await verifySignedConfig(jws, isOwner ? { isOwner } : {});
    return 'ok';
  } catch (err) {
    if (err instanceof ConfigRefusedError) return err;
    throw err;
  }
}

/** One edit of a string: replace, insert or delete a character, or cut it. */
type Mutation = { kind: 'replace' | 'insert'; at: number; char: string } | { kind: 'delete' | 'truncate'; at: number };

const mutation = fc.oneof(
  fc.record({ kind: fc.constantFrom('replace' as const, 'insert' as const), at: fc.nat(), char: fc.oneof(fc.constantFrom(...B64URL_CHARS.split(''), '.', '='), fc.string({ minLength: 1, maxLength: 1 })) }),
  fc.record({ kind: fc.constantFrom('delete' as const, 'truncate' as const), at: fc.nat() }),
);

function apply(s: string, m: Mutation): string {
  const at = m.at % (s.length + (m.kind === 'insert' ? 1 : 0));
  switch (m.kind) {
    case 'replace':
      return s.slice(0, at) + m.char + s.slice(at + 1);
    case 'insert':
      return s.slice(0, at) + m.char + s.slice(at);
    case 'delete':
      return s.slice(0, at) + s.slice(at + 1);
    case 'truncate':
      return s.slice(0, at);
  }
}

const jsonData = fc.jsonValue({ maxDepth: 3 }).filter((v) => JSON.stringify(v) !== undefined);

describe('properties: signed configs', () => {
  it('any JSON data round-trips through sign and verify', async () => {
    await fc.assert(
      fc.asyncProperty(jsonData, fc.nat({ max: 2 ** 40 }), async (data, version) => {
        const jws = await signConfig({ namespace: 'ns', name: 'n', version, data }, owner.privateKey);
        const v = await verifySignedConfig(jws);
        assert.equal(v.payload.version, version);
        // JSON's own round trip is the reference (it turns -0 into 0).
        assert.deepEqual(v.payload.data, JSON.parse(JSON.stringify(data)));
      }),
      { numRuns: 100 },
    );
  });

  it('any edit of a signed config is refused with a typed error, never accepted, never a crash', async () => {
    const jws = await signConfig({ namespace: 'app', name: 'settings', version: 7, data: { key: 'value', n: [1, 2, 3] } }, owner.privateKey);
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (edits) => {
        const mutated = edits.reduce(apply, jws);
        fc.pre(mutated !== jws);
        const r = await outcome(mutated, () => true);
        assert.ok(r instanceof ConfigRefusedError, `accepted a mutated config: ${JSON.stringify(edits)}`);
        assert.ok(['malformed', 'bad_signature', 'unknown_owner'].includes(r.reason));
      }),
      { numRuns: RUNS },
    );
  });

  it('flipping any single bit of any decoded segment is refused', async () => {
    const jws = await signConfig({ namespace: 'app', name: 'settings', version: 7, data: { key: 'value' } }, owner.privateKey);
    const parts = jws.split('.').map((p) => Buffer.from(p, 'base64url'));
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 2 }), fc.nat(), fc.nat({ max: 7 }), async (part, byte, bit) => {
        const copy = parts.map((p) => Buffer.from(p));
        const target = copy[part]!;
        target[byte % target.length]! ^= 1 << bit;
        const r = await outcome(copy.map((p) => p.toString('base64url')).join('.'), () => true);
        assert.ok(r instanceof ConfigRefusedError);
      }),
      { numRuns: RUNS },
    );
  });

  it('arbitrary text and JWS-shaped junk are refused as typed errors', async () => {
    const seg = fc.stringMatching(/^[A-Za-z0-9_-]{0,120}$/);
    const input = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.tuple(seg, seg, seg).map((p) => p.join('.')),
      fc.tuple(fc.json(), fc.json(), fc.uint8Array({ minLength: 64, maxLength: 64 })).map(([h, p, s]) =>
        [Buffer.from(h).toString('base64url'), Buffer.from(p).toString('base64url'), Buffer.from(s).toString('base64url')].join('.'),
      ),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(input, async (jws) => {
        assert.ok((await outcome(jws)) instanceof ConfigRefusedError);
      }),
      { numRuns: RUNS },
    );
  });
});
