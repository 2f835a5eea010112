/**
 * Issue 17: the published vectors inside Chromium, against the esbuild
 * bundle of the browser core (RFC 8291 Appendix A, RFC 8188 §3.1 and
 * §3.2, the sender-MAC vector, the WebSocket challenge vector), and the
 * node ID of many keys, each compared with the node implementation.
 */
import { strict as assert } from 'node:assert';
import { createECDH, createPrivateKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { nodeIdFromPublicKey } from '../../src/identity/node-id.js';
import { acceptProof, signedBytes } from '../../src/transport/auth/ws-challenge.js';
import { referenceNodeId } from '../helpers/keys.js';
import { b64, loadVectors } from '../vectors/vectors.js';
import { CORE_BUNDLE, corePageSuite, hex } from './core-harness.js';


const WS_VECTOR = JSON.parse(readFileSync(new URL('../../../test/vectors/ws-challenge.json', import.meta.url), 'utf8')) as Record<string, any>;
const MAC_VECTOR = JSON.parse(readFileSync(new URL('../../../test/vectors/sender-mac.json', import.meta.url), 'utf8')) as Record<string, string>;

describe('browser core bundle in Chromium: RFC and pushmesh vectors', { timeout: 180_000 }, () => {
  const suite = corePageSuite();

  it('the bundle is for browsers: no Node built-in imported, no Buffer, process or require', () => {
    const text = readFileSync(CORE_BUNDLE, 'utf8');
    assert.doesNotMatch(text, /(from|import)\s*\(?\s*["']node:/);
    assert.doesNotMatch(text, /\bBuffer\b|\bprocess\.|\brequire\(/);
    assert.match(text, /^export \{/m, 'an ES module');
  });

  it('RFC 8291 Appendix A: the same body from the same keys and salt, and it decrypts with the receiver key', async () => {
    const v = loadVectors().rfc8291_appendix_a;
    const out = await suite.page.evaluate(async (v) => {
      const c = (globalThis as any).core;
      const d = c.fromBase64Url;
      const body = await c.encryptWebPush(d(v.plaintext), { p256dh: d(v.ua_public), auth: d(v.auth_secret) }, {
        salt: d(v.salt),
        ephemeral: { privateKey: d(v.as_private), publicKey: d(v.as_public) },
      });
      const receiver = await c.importIdentity(d(v.ua_private), d(v.ua_public), d(v.auth_secret));
      const plain = await c.decryptWebPush(d(v.body), { ecdhPrivateKey: receiver.ecdhKey, publicKey: receiver.publicKey, auth: receiver.auth });
      const asKey = await c.importP256PrivateKey(d(v.as_private), d(v.as_public), 'ECDH');
      const secret = await c.ecdh(asKey, d(v.ua_public));
      const ikm = await c.webPushIkm(d(v.auth_secret), secret, d(v.ua_public), d(v.as_public));
      const keys = await c.deriveContentKeys(ikm, d(v.salt));
      let tampered = '';
      const bad = d(v.body);
      bad[bad.length - 1] ^= 1;
      try {
        await c.decryptWebPush(bad, { ecdhPrivateKey: receiver.ecdhKey, publicKey: receiver.publicKey, auth: receiver.auth });
      } catch (err: any) {
        tampered = `${err.code}:${err.detail}`;
      }
      return {
        body: c.toBase64Url(body),
        plain: c.toBase64Url(plain),
        secret: c.toBase64Url(secret),
        ikm: c.toBase64Url(ikm),
        cek: c.toBase64Url(keys.cek),
        nonce: c.toBase64Url(keys.nonce),
        tampered,
      };
    }, v);
    assert.equal(out.body, v.body);
    assert.equal(out.plain, v.plaintext);
    assert.equal(out.secret, v.ecdh_secret);
    assert.equal(out.ikm, v.ikm);
    assert.equal(out.cek, v.cek);
    assert.equal(out.nonce, v.nonce);
    assert.equal(out.tampered, 'ERR_DECRYPT:authentication failed');
  });

  it('RFC 8188 §3.1 and §3.2 (two records, padding, keyid): encoded byte for byte, and decoded', async () => {
    const vs = loadVectors();
    const out = await suite.page.evaluate(async ({ a, b }) => {
      const c = (globalThis as any).core;
      const d = c.fromBase64Url;
      const one = await c.encryptAes128gcm(c.utf8(a.plaintext_utf8), { ikm: d(a.ikm), salt: d(a.salt), rs: a.rs, keyid: d(a.keyid) });
      const encodedB = d(b.encoded);
      const two = await c.encryptAes128gcm(c.utf8(b.plaintext_utf8), { ikm: d(b.ikm), salt: encodedB.subarray(0, 16), rs: b.rs, keyid: c.utf8(b.keyid_utf8), padding: 1 });
      const openA = c.fromUtf8(await c.decryptAes128gcm(d(a.encoded), { ikm: d(a.ikm) }));
      const openB = c.fromUtf8(await c.decryptAes128gcm(encodedB, { ikm: d(b.ikm) }));
      // Truncated at the record boundary: the first record's 0x01 delimiter is then the last one's, and refused.
      let truncated = '';
      try {
        await c.decryptAes128gcm(encodedB.subarray(0, 21 + 2 + 25), { ikm: d(b.ikm) });
      } catch (err: any) {
        truncated = err.detail;
      }
      return { one: c.toBase64Url(one), two: c.toBase64Url(two), openA, openB, truncated };
    }, { a: vs.rfc8188_3_1, b: vs.rfc8188_3_2 });
    assert.equal(out.one, vs.rfc8188_3_1.encoded);
    assert.equal(out.two, vs.rfc8188_3_2.encoded);
    assert.equal(out.openA, vs.rfc8188_3_1.plaintext_utf8);
    assert.equal(out.openB, vs.rfc8188_3_2.plaintext_utf8);
    assert.equal(out.truncated, 'last record delimiter is not 0x02');
  });

  it('node IDs: the browser computes the node\'s ID for 64 random keys and the vector keys', async () => {
    const keys: Uint8Array[] = Array.from({ length: 64 }, () => {
      const e = createECDH('prime256v1');
      e.generateKeys();
      return e.getPublicKey();
    });
    keys.push(b64(loadVectors().rfc8291_appendix_a.ua_public), b64(WS_VECTOR['prover_public_key']));
    const ids = await suite.page.evaluate(async (list) => Promise.all(list.map((k: string) => (globalThis as any).core.nodeIdOf((globalThis as any).core.fromHex(k)))), keys.map(hex));
    assert.deepEqual(ids, keys.map((k) => nodeIdFromPublicKey(k)));
    assert.deepEqual(ids, keys.map((k) => referenceNodeId(k)));
    assert.equal(ids[ids.length - 1], WS_VECTOR['prover_node_id']);
  });

  it('sender MAC vector: the browser computes the same MAC and verifies it at the destination', async () => {
    const v = MAC_VECTOR;
    const out = await suite.page.evaluate(async (v) => {
      const c = (globalThis as any).core;
      const h = c.fromHex;
      const origin = await c.importIdentity(h(v.originPrivate), h(v.originPublic), new Uint8Array(16));
      const dest = await c.importIdentity(h(v.destinationPrivate), h(v.destinationPublic), new Uint8Array(16));
      const fields = { id: v.id, from: v.from, to: v.to, replace: v.replace, time: v.time, body: h(v.body) };
      const mac = await new c.SenderMacKeys(origin.ecdhKey, origin.publicKey).sign(fields, h(v.destinationPublic));
      const destKeys = new c.SenderMacKeys(dest.ecdhKey, dest.publicKey);
      const ok = await destKeys.verify({ ...fields, senderMac: mac }, h(v.originPublic));
      const changed = await destKeys.verify({ ...fields, time: v.time + 1, senderMac: mac }, h(v.originPublic));
      return { mac: c.toHex(mac), ok, changed };
    }, v as any);
    assert.equal(out.mac, v['mac']);
    assert.equal(out.ok, true);
    assert.equal(out.changed, false);
  });

  it('WebSocket challenge vector: the browser reads the challenge, signs the same bytes (binding none), and the node accepts its proof', async () => {
    const v = WS_VECTOR;
    const scalar = Buffer.from(v['prover_private_key_hex'], 'hex');
    const out = await suite.page.evaluate(async (v) => {
      const c = (globalThis as any).core;
      const prover = await c.importIdentity(c.fromHex(v.prover_private_key_hex), c.fromBase64Url(v.prover_public_key), new Uint8Array(16));
      const challenge = c.parseChallenge(v.challenge_frame);
      const signed = c.challengeSignedBytes(challenge.nonce, challenge.listener);
      const { proof } = await c.answerChallenge(v.challenge_frame, prover);
      const refusals: string[] = [];
      for (const bad of ['', '{}', '[]', 'null', '{"type":"proof"}', v.challenge_frame.replace('"nonce":"AAECAwQF', '"nonce":"AAECAwQ'), v.challenge_frame.replace('u7t5', 'U7t5'), 'x'.repeat(2000)]) {
        try {
          c.parseChallenge(bad);
          refusals.push('accepted');
        } catch (err: any) {
          refusals.push(err.code);
        }
      }
      return { signed: c.toHex(signed), proof, listener: challenge.listener, refusals };
    }, v);
    assert.equal(out.signed, v['none'].signed_bytes_hex);
    assert.equal(hex(signedBytes(Buffer.from(v['nonce_hex'], 'hex'), v['listener_node_id'], new Uint8Array(0))), out.signed);
    assert.equal(out.listener, v['listener_node_id']);
    // ECDSA signatures are randomized: the node verifies the browser's one (and it is for this key).
    const challenge = { nonce: Buffer.from(v['nonce_hex'], 'hex'), listener: v['listener_node_id'] as string };
    assert.equal(acceptProof(out.proof, false, challenge, null), v['prover_node_id']);
    const parsed = JSON.parse(out.proof) as Record<string, string>;
    assert.equal(parsed['binding'], 'none');
    assert.equal(parsed['key'], v['prover_public_key']);
    // The same proof for another nonce (a replayed answer) is refused by the node.
    assert.throws(() => acceptProof(out.proof, false, { ...challenge, nonce: randomBytes(32) }, null), { code: 'ERR_PEER_REFUSED' });
    assert.ok(createPrivateKey(v['prover_private_key_pkcs8_pem']).asymmetricKeyType === 'ec' && scalar.length === 32);
    assert.deepEqual(out.refusals, Array(8).fill('ERR_PEER_REFUSED'));
  });
});
