import { readFile, stat } from 'node:fs/promises';
import { isPushmeshError, PushmeshError } from '../errors/index.js';
import { homeLayout, writeFileAtomic } from '../home/index.js';
import { parseAuthSecret } from './auth-secret.js';
import { certificateMatches, createSelfSignedCertificate } from './certificate.js';
import { GROUP_OTHER_BITS, PUBLIC_FILE_MODE } from './file-modes.js';
import { errnoCode, ioError } from './files.js';
import { toIdentity } from './identity-record.js';
import { certificateChainPem, checkGivenCertificate, isSelfSigned, leafCertificate } from './issued-certificate.js';
import { nodeIdFromPublicKey } from './node-id.js';
import { parsePrivateKeyPem } from './private-key.js';
import type { Identity } from './types.js';

export interface LoadIdentityOptions {
  /** Time used to check the certificate's validity (default: now). */
  readonly now?: Date | undefined;
  /**
   * Told when the certificate was missing, expired or did not match the key
   * and was generated again (and whether it could be saved).
   */
  readonly onCertificateRenewed?: ((reason: string) => void) | undefined;
  /**
   * A certificate file to use instead of the home folder's `cert.pem` (the
   * `certFile` setting): read, checked as `checkCertificate` says, never
   * written.
   */
  readonly certFile?: string | null | undefined;
  /**
   * Check a certificate pushmesh may not replace (the `certFile`, or a
   * CA-issued `cert.pem`): it must hold this key, name this node ID and be
   * valid now, else ERR_IDENTITY_INVALID (a running node: true). When false
   * (default: verbs that only need the key), it is used as it is.
   */
  readonly checkCertificate?: boolean | undefined;
}

/**
 * Load the node identity from `home`. Refuses, each with one clear message:
 * no key (ERR_IDENTITY_MISSING), a key file open to group or others
 * (ERR_KEY_PERMISSIONS), a key that is not PEM, does not parse or is not
 * P-256, or an auth secret that is missing or not 16 bytes
 * (ERR_IDENTITY_INVALID). A missing, expired or mismatched self-signed
 * certificate is generated again; a CA-issued one (or `certFile`) never
 * is (docs/identity.md "Certificates from a CA").
 */
export async function loadIdentity(home: string, options: LoadIdentityOptions = {}): Promise<Identity> {
  const layout = homeLayout(home);
  await checkKeyFileMode(layout.keyFile, home);
  const keyText = await readRequired(layout.keyFile, () => missingIdentity(home));
  const keys = invalidIfBad(() => parsePrivateKeyPem(keyText, layout.keyFile));
  const authText = await readRequired(
    layout.authFile,
    () => new PushmeshError('ERR_IDENTITY_INVALID', `auth secret file ${layout.authFile} is missing (restore it, or run pushmesh init --force for a new identity)`),
  );
  const auth = invalidIfBad(() => parseAuthSecret(authText, layout.authFile));

  const id = nodeIdFromPublicKey(keys.publicKey);
  const now = options.now ?? new Date();
  if (options.certFile) {
    const text = await readRequired(options.certFile, () => new PushmeshError('ERR_IDENTITY_INVALID', `certificate file ${options.certFile} does not exist (certFile)`));
    return toIdentity(keys, auth, keptCertificate(text, options.certFile, options.checkCertificate === true, () => checkGivenCertificate(text, keys, id, `certificate file ${options.certFile}`, now).chainPem));
  }
  let certificatePem = await readOptional(layout.certFile);
  const leaf = certificatePem === undefined ? null : leafCertificate(certificatePem);
  if (certificatePem !== undefined && leaf !== null && !isSelfSigned(leaf)) {
    // Issued by a CA: the operator's to renew, never replaced by a self-signed one.
    const text = certificatePem;
    return toIdentity(keys, auth, keptCertificate(text, layout.certFile, options.checkCertificate === true, () => checkGivenCertificate(text, keys, id, `CA-issued certificate ${layout.certFile}`, now).chainPem));
  }
  if (certificatePem === undefined || !certificateMatches(certificatePem, keys, id, now)) {
    const reason = certificatePem === undefined ? 'missing' : 'expired or did not match the key';
    certificatePem = await createSelfSignedCertificate(keys, id, { now });
    let outcome = 'generated a new one';
    try {
      await writeFileAtomic(layout.certFile, certificatePem, { mode: PUBLIC_FILE_MODE });
    } catch (err) {
      outcome += ` but could not save it (${errnoCode(err) ?? String(err)})`;
    }
    options.onCertificateRenewed?.(`certificate ${layout.certFile} was ${reason}; ${outcome}`);
  }
  return toIdentity(keys, auth, certificatePem);
}

/** A certificate pushmesh may not replace: checked (when asked), else its certificate blocks as they are. */
function keptCertificate(text: string, path: string, check: boolean, checked: () => string): string {
  if (check) return checked();
  const chain = certificateChainPem(text);
  if (chain === null) throw new PushmeshError('ERR_IDENTITY_INVALID', `${path}: no PEM certificate found`);
  return chain;
}

/** Refuse a private key file that group or others may access (POSIX only). */
async function checkKeyFileMode(keyFile: string, home: string): Promise<void> {
  let mode: number;
  try {
    mode = (await stat(keyFile)).mode;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw missingIdentity(home);
    throw ioError('read', keyFile, err);
  }
  if (process.platform === 'win32' || (mode & GROUP_OTHER_BITS) === 0) return;
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  throw new PushmeshError(
    'ERR_KEY_PERMISSIONS',
    `key file ${keyFile} is accessible by group or others (mode ${octal}); fix it with: chmod 600 ${keyFile}`,
  );
}

function missingIdentity(home: string): PushmeshError {
  return new PushmeshError('ERR_IDENTITY_MISSING', `no identity in ${home} (run pushmesh init)`);
}

/** Turn a key or auth-secret parse error into ERR_IDENTITY_INVALID with the same message. */
function invalidIfBad<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (isPushmeshError(err)) throw new PushmeshError('ERR_IDENTITY_INVALID', err.message, { cause: err });
    throw err;
  }
}

async function readRequired(path: string, whenMissing: () => PushmeshError): Promise<string> {
  const text = await readOptional(path);
  if (text === undefined) throw whenMissing();
  return text;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw ioError('read', path, err);
  }
}
