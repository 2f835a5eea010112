import { strict as assert } from 'node:assert';
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { deriveContentKeys, recordNonce } from '../../src/webpush/aes128gcm-keys.js';
import { decryptAes128gcm, encryptAes128gcm, parseAes128gcmHeader } from '../../src/webpush/index.js';

const ikm = randomBytes(16);
const isDecryptError = { name: 'DecryptError', code: 'ERR_DECRYPT' };

/** A body whose single record holds `content` exactly (no delimiter added). */
function rawBody(content: Buffer, rs = 4096): Buffer {
  const salt = randomBytes(16);
  const header = Buffer.alloc(21);
  salt.copy(header);
  header.writeUInt32BE(rs, 16);
  const { cek, nonce } = deriveContentKeys(ikm, salt);
  const cipher = createCipheriv('aes-128-gcm', cek, nonce);
  const ct = Buffer.concat([cipher.update(content), cipher.final(), cipher.getAuthTag()]);
  return Buffer.concat([header, ct]);
}

describe('aes128gcm records', () => {
  it('round-trips across record boundaries, every record but the last full', () => {
    for (const rs of [18, 19, 25, 64, 4096]) {
      for (const length of [0, 1, 2, 7, 8, 9, 16, 17, 100, 1000]) {
        for (const padding of [0, 1, 5, 40]) {
          const plaintext = randomBytes(length);
          const body = encryptAes128gcm(plaintext, { ikm, rs, padding });
          const header = parseAes128gcmHeader(body);
          const content = body.length - header.length;
          const records = Math.ceil(content / rs);
          assert.equal(content - (records - 1) * rs > 16, true, 'last record carries more than a tag');
          assert.equal(content, length + padding + 17 * records, `rs ${rs} len ${length} pad ${padding}`);
          assert.deepEqual(decryptAes128gcm(body, { ikm }), plaintext);
        }
      }
    }
  });

  it('uses one record when the plaintext fits, splits otherwise', () => {
    assert.equal(encryptAes128gcm(Buffer.alloc(8), { ikm, rs: 25 }).length, 21 + 25);
    assert.equal(encryptAes128gcm(Buffer.alloc(9), { ikm, rs: 25 }).length, 21 + 25 + 18);
  });

  it('detects truncation at a record boundary', () => {
    const body = encryptAes128gcm(randomBytes(40), { ikm, rs: 25 });
    const header = parseAes128gcmHeader(body);
    for (const records of [1, 2, 3, 4]) {
      assert.throws(() => decryptAes128gcm(body.subarray(0, header.length + records * 25), { ikm }), isDecryptError);
    }
    assert.equal(decryptAes128gcm(body, { ikm }).length, 40);
  });

  it('detects reordered records', () => {
    const body = encryptAes128gcm(randomBytes(24), { ikm, rs: 25 });
    const h = parseAes128gcmHeader(body).length;
    const swapped = Buffer.concat([body.subarray(0, h), body.subarray(h + 25, h + 50), body.subarray(h, h + 25), body.subarray(h + 50)]);
    assert.throws(() => decryptAes128gcm(swapped, { ikm }), isDecryptError);
  });

  it('checks delimiters and padding', () => {
    assert.deepEqual(decryptAes128gcm(rawBody(Buffer.from([7, 2, 0, 0])), { ikm }), Buffer.of(7));
    assert.throws(() => decryptAes128gcm(rawBody(Buffer.from([7, 1])), { ikm }), { detail: 'last record delimiter is not 0x02' });
    assert.throws(() => decryptAes128gcm(rawBody(Buffer.from([7, 3, 0])), { ikm }), isDecryptError);
    assert.throws(() => decryptAes128gcm(rawBody(Buffer.alloc(5)), { ikm }), { detail: 'record has no padding delimiter' });
    assert.throws(() => decryptAes128gcm(rawBody(Buffer.alloc(0)), { ikm }), { detail: 'record truncated' });
  });

  it('a non-last record must end with 0x01', () => {
    // Two records sealed by hand, both with delimiter 0x02.
    const salt = randomBytes(16);
    const { cek, nonce } = deriveContentKeys(ikm, salt);
    const header = Buffer.alloc(21);
    salt.copy(header);
    header.writeUInt32BE(18, 16);
    const seal = (seq: number, content: Buffer): Buffer => {
      const c = createCipheriv('aes-128-gcm', cek, recordNonce(nonce, seq));
      return Buffer.concat([c.update(content), c.final(), c.getAuthTag()]);
    };
    const good = Buffer.concat([header, seal(0, Buffer.of(0x41, 1)), seal(1, Buffer.of(2))]);
    assert.equal(decryptAes128gcm(good, { ikm }).toString(), 'A');
    const bad = Buffer.concat([header, seal(0, Buffer.of(0x41, 2)), seal(1, Buffer.of(2))]);
    assert.throws(() => decryptAes128gcm(bad, { ikm }), { detail: 'record delimiter is not 0x01' });
  });

  it('validates the header', () => {
    const body = encryptAes128gcm(Buffer.from('hi'), { ikm, keyid: Buffer.from('abc') });
    assert.throws(() => decryptAes128gcm(body.subarray(0, 20), { ikm }), { detail: 'header truncated' });
    assert.throws(() => decryptAes128gcm(body.subarray(0, 23), { ikm }), { detail: 'keyid truncated' });
    assert.throws(() => decryptAes128gcm(body.subarray(0, 24), { ikm }), { detail: 'no records' });
    const lowRs = Buffer.from(body);
    lowRs.writeUInt32BE(17, 16);
    assert.throws(() => decryptAes128gcm(lowRs, { ikm }), { detail: 'record size below 18' });
    assert.throws(() => decryptAes128gcm(body.subarray(0, 24 + 16), { ikm }), { detail: 'record truncated' });
  });

  it('enforces maxRecords before any crypto', () => {
    const body = encryptAes128gcm(randomBytes(100), { ikm, rs: 18 });
    let lookups = 0;
    const lookup = (): Buffer => {
      lookups++;
      return ikm;
    };
    assert.throws(() => decryptAes128gcm(body, { ikm: lookup, maxRecords: 99 }), { detail: 'too many records' });
    assert.equal(lookups, 0);
    assert.equal(decryptAes128gcm(body, { ikm: lookup, maxRecords: 100 }).length, 100);
  });

  it('turns key lookup failures into DecryptError', () => {
    const body = encryptAes128gcm(Buffer.from('x'), { ikm, keyid: Buffer.from('k') });
    assert.throws(() => decryptAes128gcm(body, { ikm: () => { throw new Error('no such key'); } }), { detail: 'key lookup failed' });
    assert.throws(() => decryptAes128gcm(body, { ikm: () => undefined as unknown as Uint8Array }), { detail: 'no key for keyid' });
    assert.throws(() => decryptAes128gcm(body, { ikm: randomBytes(16) }), { detail: 'authentication failed' });
  });

  it('refuses bad encoder parameters with ERR_BAD_ARGUMENT', () => {
    const bad = { name: 'PushmeshError', code: 'ERR_BAD_ARGUMENT' };
    assert.throws(() => encryptAes128gcm(Buffer.alloc(1), { ikm, rs: 17 }), bad);
    assert.throws(() => encryptAes128gcm(Buffer.alloc(1), { ikm, rs: 2 ** 32 }), bad);
    assert.throws(() => encryptAes128gcm(Buffer.alloc(1), { ikm, rs: 100.5 }), bad);
    assert.throws(() => encryptAes128gcm(Buffer.alloc(1), { ikm, salt: Buffer.alloc(15) }), bad);
    assert.throws(() => encryptAes128gcm(Buffer.alloc(1), { ikm, keyid: Buffer.alloc(256) }), bad);
    assert.throws(() => encryptAes128gcm(Buffer.alloc(1), { ikm, padding: -1 }), bad);
  });

  it('computes record nonces as base XOR sequence number', () => {
    const base = Buffer.alloc(12, 0xff);
    assert.equal(recordNonce(base, 0), base);
    assert.equal(recordNonce(base, 1).toString('hex'), 'fffffffffffffffffffffffe');
    assert.equal(recordNonce(base, 0x1_0000_0001).toString('hex'), 'fffffffffffffffefffffffe');
  });
});
