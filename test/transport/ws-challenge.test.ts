/**
 * The WebSocket peer challenge (src/transport/auth/ws-challenge.ts) on its
 * own: the published vector (test/vectors/ws-challenge.json) checked
 * against the documented byte layout and an independent ECDSA
 * implementation (@noble/curves), what a proof is bound to, and
 * fast-check properties: no input makes the parser/verifier throw
 * anything but its typed refusal.
 */
import { strict as assert } from 'node:assert';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { p256 } from '@noble/curves/nist.js';
import fc from 'fast-check';
import { nodeIdFromPublicKey } from '../../src/identity/node-id.js';
import { ChallengeRefusal } from '../../src/errors/challenge-refusal.js';
import {
  acceptProof,
  encodeChallenge,
  encodeProof,
  newChallenge,
  parseChallenge,
  parseProof,
  signedBytes,
  signProof,
  verifyProof,
  type Challenge,
} from '../../src/transport/auth/ws-challenge.js';
import { makeNode } from '../message/nodes.js';

interface Vector {
  prover_private_key_hex: string;
  prover_private_key_pkcs8_pem: string;
  prover_public_key: string;
  prover_node_id: string;
  listener_node_id: string;
  nonce_hex: string;
  tls_exporter_hex: string;
  challenge_frame: string;
  tls_exporter: { signed_bytes_hex: string; sig: string; proof_frame: string };
  none: { signed_bytes_hex: string; sig: string; proof_frame: string };
}

const V = JSON.parse(readFileSync(new URL('../../../test/vectors/ws-challenge.json', import.meta.url), 'utf8')) as Vector;
const hex = (h: string): Buffer => Buffer.from(h, 'hex');
const b64 = (s: string): Buffer => Buffer.from(s, 'base64url');

/** The expected layout, written out from docs/transports.md rather than calling signedBytes. */
function layout(nonce: Buffer, listener: string, binding: Buffer): Buffer {
  return Buffer.concat([Buffer.from('pushmesh ws-challenge v1', 'ascii'), Buffer.from([0]), nonce, Buffer.from(listener, 'ascii'), Buffer.from([binding.length]), binding]);
}

/** Anything thrown must be the module's typed refusal. */
function onlyRefusal(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ChallengeRefusal, `threw ${String(err)}`);
    assert.ok(err.reason === 'protocol_error' || err.reason === 'unauthenticated');
    assert.equal(err.code, 'ERR_PEER_REFUSED');
    assert.ok(err.message.startsWith(`${err.reason}: `));
  }
}

function refusedWith(reason: 'protocol_error' | 'unauthenticated') {
  return (err: unknown) => err instanceof ChallengeRefusal && err.reason === reason;
}

describe('ws challenge: the published vector', () => {
  const nonce = hex(V.nonce_hex);
  const exporter = hex(V.tls_exporter_hex);
  const challenge: Challenge = { nonce, listener: V.listener_node_id };

  it('the key and IDs are what the private key says (derived with @noble/curves)', () => {
    const publicKey = Buffer.from(p256.getPublicKey(hex(V.prover_private_key_hex), false));
    assert.equal(publicKey.toString('base64url'), V.prover_public_key);
    assert.equal(nodeIdFromPublicKey(publicKey), V.prover_node_id);
    assert.equal(V.listener_node_id.length, 52);
  });

  it('signed bytes: the documented layout, byte for byte, for both bindings', () => {
    assert.equal(layout(nonce, V.listener_node_id, exporter).toString('hex'), V.tls_exporter.signed_bytes_hex);
    assert.equal(layout(nonce, V.listener_node_id, Buffer.alloc(0)).toString('hex'), V.none.signed_bytes_hex);
    assert.equal(signedBytes(nonce, V.listener_node_id, exporter).toString('hex'), V.tls_exporter.signed_bytes_hex);
    assert.equal(signedBytes(nonce, V.listener_node_id, new Uint8Array(0)).toString('hex'), V.none.signed_bytes_hex);
    assert.equal(hex(V.tls_exporter.signed_bytes_hex).length, 24 + 1 + 32 + 52 + 1 + 32);
  });

  it('the signatures verify with @noble/curves (ECDSA P-256, SHA-256, r||s)', () => {
    const pub = b64(V.prover_public_key);
    for (const v of [V.tls_exporter, V.none]) {
      assert.ok(p256.verify(b64(v.sig), hex(v.signed_bytes_hex), pub));
      const tampered = hex(v.signed_bytes_hex);
      tampered[30] = (tampered[30]! ^ 1) & 0xff;
      assert.ok(!p256.verify(b64(v.sig), tampered, pub));
    }
  });

  it('a signature made by @noble/curves is accepted by our verifier', () => {
    const sig = p256.sign(hex(V.tls_exporter.signed_bytes_hex), hex(V.prover_private_key_hex));
    const id = verifyProof({ key: b64(V.prover_public_key), binding: 'tls-exporter', sig }, challenge, exporter);
    assert.equal(id, V.prover_node_id);
  });

  it('our parser and verifier accept the vector frames, and refuse them for another exporter, nonce or listener', () => {
    assert.deepEqual(parseChallenge(V.challenge_frame, false), { nonce, listener: V.listener_node_id });
    assert.equal(acceptProof(V.tls_exporter.proof_frame, false, challenge, exporter), V.prover_node_id);
    assert.equal(acceptProof(Buffer.from(V.none.proof_frame), false, challenge, null), V.prover_node_id);
    assert.equal(acceptProof(V.none.proof_frame, false, challenge, randomBytes(32)), V.prover_node_id, 'none ignores the exporter');
    assert.throws(() => acceptProof(V.tls_exporter.proof_frame, false, challenge, randomBytes(32)), refusedWith('unauthenticated'));
    assert.throws(() => acceptProof(V.tls_exporter.proof_frame, false, challenge, null), refusedWith('unauthenticated'));
    assert.throws(() => acceptProof(V.tls_exporter.proof_frame, false, { ...challenge, nonce: randomBytes(32) }, exporter), refusedWith('unauthenticated'));
    assert.throws(() => acceptProof(V.none.proof_frame, false, { ...challenge, listener: V.prover_node_id }, null), refusedWith('unauthenticated'));
  });

  it('our signer makes proofs the vector key verifies with @noble/curves', () => {
    const proof = signProof(challenge, V.prover_private_key_pkcs8_pem, 'tls-exporter', exporter);
    assert.equal(Buffer.from(proof.key).toString('base64url'), V.prover_public_key);
    assert.equal(proof.sig.length, 64);
    assert.ok(p256.verify(proof.sig, hex(V.tls_exporter.signed_bytes_hex), b64(V.prover_public_key), { lowS: false }));
  });
});

describe('ws challenge: frames and refusals', () => {
  const node = makeNode();
  const listener = makeNode().id;

  it('a fresh 32-byte nonce per challenge; the frame round-trips', () => {
    const a = newChallenge(listener);
    const b = newChallenge(listener);
    assert.equal(a.nonce.length, 32);
    assert.notDeepEqual(Buffer.from(a.nonce), Buffer.from(b.nonce));
    assert.deepEqual(parseChallenge(encodeChallenge(a), false), { nonce: Buffer.from(a.nonce), listener });
  });

  it('refuses frames of the wrong kind or shape as protocol errors', () => {
    const c = newChallenge(listener);
    const good = JSON.parse(encodeProof(signProof(c, node.privateKey, 'none'))) as Record<string, unknown>;
    const bad = (o: unknown): string => JSON.stringify(o);
    const cases: Array<[unknown, boolean]> = [
      [encodeProof(signProof(c, node.privateKey, 'none')), true], // binary
      ['not json', false],
      ['[]', false],
      ['null', false],
      [bad({ ...good, type: 'challenge' }), false],
      [bad({ ...good, binding: 'tls-unique' }), false],
      [bad({ ...good, key: 'AAAA' }), false],
      [bad({ ...good, key: `${String(good['key'])}!` }), false],
      [bad({ ...good, sig: Buffer.alloc(71).toString('base64url') }), false],
      [bad({ ...good, sig: 42 }), false],
      [bad({ ...good, key: Buffer.concat([Buffer.of(2), randomBytes(64)]).toString('base64url') }), false],
      [bad({ ...good, pad: 'x'.repeat(2000) }), false],
      [12, false],
    ];
    for (const [frame, isBinary] of cases) assert.throws(() => acceptProof(frame, isBinary, c, null), refusedWith('protocol_error'), String(frame).slice(0, 60));
  });

  it('a key that is not on the curve, or a wrong signature, is the same opaque refusal', () => {
    const c = newChallenge(listener);
    const proof = signProof(c, node.privateKey, 'none');
    const offCurve = Buffer.concat([Buffer.of(4), Buffer.alloc(64, 1)]);
    const wrongSig = Buffer.from(proof.sig);
    wrongSig[10] = (wrongSig[10]! ^ 0x40) & 0xff;
    for (const p of [{ ...proof, key: offCurve }, { ...proof, sig: wrongSig }, { ...proof, sig: Buffer.alloc(64) }]) {
      assert.throws(() => verifyProof(p, c, null), (err: unknown) => err instanceof ChallengeRefusal && err.message === 'unauthenticated: proof refused');
    }
  });

  it('a proof names the key that signed it: its node ID is derived, never claimed', () => {
    const c = newChallenge(listener);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const proof = signProof(c, privateKey, 'none');
    assert.equal(verifyProof(proof, c, null), nodeIdFromPublicKey(proof.key));
    const other = makeNode();
    assert.throws(() => verifyProof({ ...proof, key: other.publicKey }, c, null), refusedWith('unauthenticated'));
  });
});

describe('ws challenge: properties (fast-check)', () => {
  const node = makeNode();
  const listener = makeNode().id;
  const challenge = newChallenge(listener);
  const exporter = randomBytes(32);
  const genuine = JSON.parse(encodeProof(signProof(challenge, node.privateKey, 'tls-exporter', exporter))) as Record<string, unknown>;

  /** base64url of any length near the ones that matter (64, 65 bytes), and other strings. */
  const b64Like = fc.oneof(
    fc.uint8Array({ minLength: 0, maxLength: 80 }).map((b) => Buffer.from(b).toString('base64url')),
    fc.uint8Array({ minLength: 64, maxLength: 65 }).map((b) => Buffer.from(b).toString('base64url')),
    fc.uint8Array({ minLength: 64, maxLength: 64 }).map((b) => Buffer.concat([Buffer.of(4), b]).toString('base64url')),
    fc.string(),
  );
  const anyValue = fc.oneof(fc.jsonValue(), b64Like, fc.constant(undefined));
  const proofShape = fc.record(
    {
      // The genuine member is drawn often enough that the genuine proof itself comes up in every run.
      type: fc.oneof({ arbitrary: fc.constant('proof'), weight: 6 }, fc.constant('challenge'), anyValue),
      key: fc.oneof({ arbitrary: fc.constant(genuine['key']), weight: 4 }, b64Like, anyValue),
      binding: fc.oneof({ arbitrary: fc.constant('tls-exporter'), weight: 4 }, fc.constantFrom('none', 'TLS-EXPORTER', ''), anyValue),
      sig: fc.oneof({ arbitrary: fc.constant(genuine['sig']), weight: 4 }, b64Like, anyValue),
      nonce: b64Like,
      listener: fc.oneof(fc.constant(listener), fc.string()),
    },
    { requiredKeys: ['type', 'key', 'binding', 'sig'] },
  );

  it('arbitrary strings, bytes and JSON values: only the typed refusal', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v)), fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b))), fc.boolean(), (data, isBinary) => {
        onlyRefusal(() => acceptProof(data, isBinary, challenge, exporter));
        onlyRefusal(() => parseChallenge(data, isBinary));
      }),
      { numRuns: 2000 },
    );
  });

  it('proof-shaped JSON with any members: only the typed refusal, and only the genuine proof passes', () => {
    let passed = 0;
    fc.assert(
      fc.property(proofShape, fc.boolean(), fc.option(fc.oneof({ arbitrary: fc.constant(new Uint8Array(exporter)), weight: 4 }, fc.uint8Array({ minLength: 0, maxLength: 40 })), { nil: null, freq: 4 }), (shape, asBytes, exp) => {
        const text = JSON.stringify(shape);
        const frame = asBytes ? Buffer.from(text) : text;
        let id: string | undefined;
        onlyRefusal(() => (id = acceptProof(frame, false, challenge, exp === null ? null : exp)));
        if (id !== undefined) {
          passed++;
          assert.equal(id, node.id);
          assert.equal(shape.key, genuine['key']);
          assert.equal(shape.sig, genuine['sig']);
          assert.deepEqual(exp === null ? null : Buffer.from(exp), exporter);
        }
        onlyRefusal(() => parseChallenge(frame, false));
      }),
      { numRuns: 3000 },
    );
    assert.ok(passed > 0, 'the genuine proof was generated and passed at least once');
  });

  it('a single changed byte anywhere in a genuine proof frame is refused', () => {
    const text = Buffer.from(JSON.stringify(genuine));
    assert.equal(acceptProof(text, false, challenge, exporter), node.id);
    fc.assert(
      fc.property(fc.nat({ max: text.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const mutated = Buffer.from(text);
        mutated[i] = mutated[i]! ^ x;
        let id: string | undefined;
        onlyRefusal(() => (id = acceptProof(mutated, false, challenge, exporter)));
        // A change the JSON reading cannot see (e.g. in a member name we ignore) may still pass; the proof itself never changes.
        if (id !== undefined) assert.equal(id, node.id);
      }),
      { numRuns: 1000 },
    );
  });

  it('parseProof on its own refuses with protocol_error only (it checks shape, not keys)', () => {
    fc.assert(
      fc.property(proofShape, (shape) => {
        try {
          parseProof(JSON.stringify(shape), false);
        } catch (err) {
          assert.ok(err instanceof ChallengeRefusal && err.reason === 'protocol_error');
        }
      }),
      { numRuns: 1000 },
    );
  });
});
