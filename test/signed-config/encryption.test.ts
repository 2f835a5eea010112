import { strict as assert } from 'node:assert';
import { createECDH } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { decryptConfigData, signConfig, verifySignedConfig } from '../../src/signed-config/index.js';
import { WebPushDecrypter } from '../../src/webpush/index.js';
import { pushmeshError } from '../helpers/errors.js';
import { makeOwner, type TestOwner } from './fixtures.js';

interface HttpEce {
  decrypt(buffer: Buffer, params: Record<string, unknown>): Buffer;
}
const ece = createRequire(import.meta.url)('http_ece') as HttpEce;

const owner = makeOwner();
const alice = makeOwner();
const bob = makeOwner();
const carol = makeOwner();
const decrypterOf = (n: TestOwner): WebPushDecrypter => new WebPushDecrypter(n);
const data = { secret: 'db-password', limits: [1, 2, 3], text: 'ü'.repeat(3000) };

describe('signed config encrypted to recipient cards', () => {
  it('only the listed nodes can read the data; the rest of the payload stays readable and signed', async () => {
    const jws = await signConfig({ namespace: 'app', name: 'db', version: 3, data, encryptTo: [alice.card, bob.card, alice.card] }, owner.privateKey);
    assert.ok(!jws.includes('db-password'));
    const v = await verifySignedConfig(jws);
    assert.equal(v.payload.data, undefined);
    const enc = v.payload.encrypted!;
    assert.deepEqual(enc.recipients.map((r) => r.id), [alice.id, bob.id], 'one entry per recipient, duplicates dropped');
    assert.deepEqual(decryptConfigData(enc, alice.id, decrypterOf(alice)), { readable: true, data });
    assert.deepEqual(decryptConfigData(enc, bob.id, decrypterOf(bob)), { readable: true, data });
    assert.deepEqual(decryptConfigData(enc, carol.id, decrypterOf(carol)), { readable: false, why: 'not a recipient' });
    // Carol pretending to be Alice (her entry) cannot open it.
    assert.deepEqual(decryptConfigData(enc, alice.id, decrypterOf(carol)), { readable: false, why: 'does not decrypt' });
  });

  it('the format is plain RFC 8291 + RFC 8188: http_ece opens both layers', async () => {
    const jws = await signConfig({ namespace: 'app', name: 'db', version: 1, data, encryptTo: [alice.card] }, owner.privateKey);
    const enc = (await verifySignedConfig(jws)).payload.encrypted!;
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(alice.privateScalar);
    const contentKey = ece.decrypt(Buffer.from(enc.recipients[0]!.key, 'base64url'), { version: 'aes128gcm', privateKey: ecdh, authSecret: alice.auth });
    assert.equal(contentKey.length, 16);
    const text = ece.decrypt(Buffer.from(enc.ciphertext, 'base64url'), { version: 'aes128gcm', key: contentKey });
    assert.deepEqual(JSON.parse(text.toString('utf8')), data);
  });

  it('changing the ciphertext or a recipient entry breaks the signature', async () => {
    const jws = await signConfig({ namespace: 'app', name: 'db', version: 1, data: 1, encryptTo: [alice.card] }, owner.privateKey);
    const [h, p, s] = jws.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as { encrypted: { recipients: { id: string }[] } };
    payload.encrypted.recipients[0]!.id = carol.id;
    await assert.rejects(verifySignedConfig(`${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`), { reason: 'bad_signature' });
  });

  it('more than 256 recipients is refused when signing', async () => {
    const many = Array.from({ length: 257 }, () => makeOwner().card);
    await assert.rejects(signConfig({ namespace: 'a', name: 'b', version: 1, data: 1, encryptTo: many }, owner.privateKey), pushmeshError('ERR_BAD_ARGUMENT', /1 to 256/));
  });
});
