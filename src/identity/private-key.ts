import { createPrivateKey, type KeyObject } from 'node:crypto';
import { PushmeshError } from '../errors/index.js';

/** A P-256 private key and the byte forms pushmesh needs of it. */
export interface P256KeyPair {
  readonly privateKey: KeyObject;
  /** 65-byte uncompressed public key (0x04 ‖ X ‖ Y). */
  readonly publicKey: Buffer;
  /** 32-byte private scalar d. */
  readonly privateScalar: Buffer;
  /** The key re-encoded as PKCS#8 PEM (whatever form it was read from). */
  readonly pkcs8Pem: string;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;
const PRIVATE_LABELS = new Set(['PRIVATE KEY', 'EC PRIVATE KEY']);

/**
 * Parse a P-256 private key from PEM: PKCS#8 (`PRIVATE KEY`) or SEC1
 * (`EC PRIVATE KEY`; a preceding `EC PARAMETERS` block is skipped).
 * Throws ERR_BAD_KEY, with `source` (a file name, say) in the message, for
 * text that is not PEM, a key that does not parse, an encrypted key, a
 * public key or certificate, and any key that is not on P-256.
 */
export function parsePrivateKeyPem(pem: string, source = 'key'): P256KeyPair {
  const blocks = [...pem.matchAll(PEM_BLOCK)];
  if (blocks.length === 0) throw bad(source, 'not a PEM private key');
  const block = blocks.find((b) => PRIVATE_LABELS.has(b[1] ?? ''));
  if (block === undefined) {
    const labels = blocks.map((b) => b[1] ?? '');
    if (labels.includes('ENCRYPTED PRIVATE KEY')) throw bad(source, 'encrypted private keys are not supported; decrypt it first');
    if (labels.some((l) => l.endsWith('PRIVATE KEY'))) throw bad(source, 'key is not a P-256 key');
    throw bad(source, `not a private key (found ${labels.join(', ')})`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: block[0], format: 'pem' });
  } catch (err) {
    throw bad(source, 'private key could not be parsed', err);
  }
  return keyPairFromKeyObject(privateKey, source);
}

/** Check that `privateKey` is a P-256 private key and derive its byte forms. */
export function keyPairFromKeyObject(privateKey: KeyObject, source = 'key'): P256KeyPair {
  if (privateKey.type !== 'private') throw bad(source, 'not a private key');
  const curve = privateKey.asymmetricKeyType === 'ec' ? privateKey.asymmetricKeyDetails?.namedCurve : undefined;
  if (curve !== 'prime256v1') {
    const found = privateKey.asymmetricKeyType === 'ec' ? `EC ${curve ?? 'unknown curve'}` : (privateKey.asymmetricKeyType ?? 'unknown');
    throw bad(source, `key is not a P-256 key (found ${found})`);
  }
  const jwk = privateKey.export({ format: 'jwk' });
  if (jwk.d === undefined || jwk.x === undefined || jwk.y === undefined) throw bad(source, 'private key could not be parsed');
  const publicKey = Buffer.concat([Buffer.of(0x04), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  const privateScalar = Buffer.from(jwk.d, 'base64url');
  if (publicKey.length !== 65 || privateScalar.length !== 32) throw bad(source, 'private key could not be parsed');
  const pkcs8Pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return { privateKey, publicKey, privateScalar, pkcs8Pem };
}

function bad(source: string, reason: string, cause?: unknown): PushmeshError {
  return new PushmeshError('ERR_BAD_KEY', `${source}: ${reason}`, cause === undefined ? undefined : { cause });
}
