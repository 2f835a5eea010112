import { generateKeyPairSync } from 'node:crypto';
import { PushmeshError } from '../errors/index.js';
import { ensureHome, homeLayout, writeFileAtomic } from '../home/index.js';
import { toBase64Url } from '../util/base64url.js';
import { generateAuthSecret, parseAuthSecret, AUTH_SECRET_LENGTH } from './auth-secret.js';
import { createSelfSignedCertificate } from './certificate.js';
import { PUBLIC_FILE_MODE, SECRET_FILE_MODE } from './file-modes.js';
import { errnoCode, ioError, pathExists } from './files.js';
import { toIdentity } from './identity-record.js';
import { checkGivenCertificate } from './issued-certificate.js';
import { nodeIdFromPublicKey } from './node-id.js';
import { keyPairFromKeyObject, parsePrivateKeyPem, type P256KeyPair } from './private-key.js';
import type { Identity } from './types.js';

export interface CreateIdentityOptions {
  /** PEM text (PKCS#8 or SEC1) of an existing P-256 private key to adopt instead of generating one. */
  readonly importKeyPem?: string | undefined;
  /** Name of the imported key in error messages (a file name, say). */
  readonly importKeySource?: string | undefined;
  /** Web Push auth secret: base64url text or bytes, exactly 16 bytes. Default: random. */
  readonly auth?: string | Uint8Array | undefined;
  /** Replace an existing identity. Without it, an existing one is an ERR_IDENTITY_EXISTS. */
  readonly force?: boolean | undefined;
  /** Certificate issue time, and the time a given certificate must be valid at (default: now). */
  readonly now?: Date | undefined;
  /**
   * PEM of a certificate issued for this key (by a CA: `pushmesh init
   * --cert`), used instead of a self-signed one; checked first
   * (checkGivenCertificate).
   */
  readonly certificatePem?: string | undefined;
  /** Name of that certificate in error messages (a file name, say). */
  readonly certificateSource?: string | undefined;
}

/**
 * Create (or, with `force`, replace) the node identity in `home`: private
 * key (generated or imported), auth secret and certificate (self-signed,
 * or the one given, checked),
 * each written atomically with its final mode. Inputs are checked before
 * anything is written. Without `force`, creation is race-safe: of two
 * processes creating at once, one gets ERR_IDENTITY_EXISTS.
 */
export async function createIdentity(home: string, options: CreateIdentityOptions = {}): Promise<Identity> {
  const keys = options.importKeyPem === undefined ? generateKeys() : parsePrivateKeyPem(options.importKeyPem, options.importKeySource ?? 'imported key');
  const auth = authFrom(options.auth);
  const id = nodeIdFromPublicKey(keys.publicKey);
  const certificatePem =
    options.certificatePem === undefined
      ? await createSelfSignedCertificate(keys, id, options.now === undefined ? {} : { now: options.now })
      : checkGivenCertificate(options.certificatePem, keys, id, options.certificateSource ?? 'certificate', options.now).chainPem;

  const layout = await ensureHome(home);
  const force = options.force === true;
  if (!force && (await pathExists(layout.keyFile))) throw alreadyExists(home);
  try {
    // The key goes first: it is what makes an identity exist (and the race-safe step).
    await writeFileAtomic(layout.keyFile, keys.pkcs8Pem, { mode: SECRET_FILE_MODE, overwrite: force });
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') throw alreadyExists(home);
    throw ioError('write', layout.keyFile, err);
  }
  await write(layout.authFile, toBase64Url(auth) + '\n', SECRET_FILE_MODE);
  await write(layout.certFile, certificatePem, PUBLIC_FILE_MODE);
  return toIdentity(keys, auth, certificatePem);
}

/** Whether `home` holds an identity (a key file), valid or not. */
export async function identityExists(home: string): Promise<boolean> {
  return pathExists(homeLayout(home).keyFile);
}

function generateKeys(): P256KeyPair {
  return keyPairFromKeyObject(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
}

function authFrom(auth: string | Uint8Array | undefined): Buffer {
  if (auth === undefined) return generateAuthSecret();
  if (typeof auth === 'string') return parseAuthSecret(auth);
  if (auth.length !== AUTH_SECRET_LENGTH) {
    throw new PushmeshError('ERR_BAD_ARGUMENT', `auth secret: must be ${AUTH_SECRET_LENGTH} bytes (got ${auth.length})`);
  }
  return Buffer.from(auth);
}

async function write(path: string, data: string, mode: number): Promise<void> {
  try {
    await writeFileAtomic(path, data, { mode });
  } catch (err) {
    throw ioError('write', path, err);
  }
}

function alreadyExists(home: string): PushmeshError {
  return new PushmeshError('ERR_IDENTITY_EXISTS', `an identity already exists in ${home} (use --force to replace it)`);
}
