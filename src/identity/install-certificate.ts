import { homeLayout, writeFileAtomic } from '../home/index.js';
import { PUBLIC_FILE_MODE } from './file-modes.js';
import { ioError } from './files.js';
import { toIdentity } from './identity-record.js';
import { checkGivenCertificate, type CertificateSummary } from './issued-certificate.js';
import { loadIdentity } from './load-identity.js';
import type { Identity } from './types.js';

/**
 * Give the identity in `home` a certificate issued for its key (`pushmesh
 * init --cert FILE` on an existing identity): checked like every given
 * certificate (checkGivenCertificate: this key, this node ID, valid at
 * `now`), then written as `cert.pem` (its certificate blocks only, mode
 * 0600, atomically). The key and auth secret are not touched.
 */
export async function installCertificate(
  home: string,
  text: string,
  source: string,
  now: Date = new Date(),
): Promise<{ identity: Identity; summary: CertificateSummary }> {
  const current = await loadIdentity(home, { now });
  const keys = { privateKey: current.privateKey, publicKey: current.publicKey, privateScalar: current.privateScalar, pkcs8Pem: current.privateKeyPem };
  const { chainPem, summary } = checkGivenCertificate(text, keys, current.id, source, now);
  const certFile = homeLayout(home).certFile;
  try {
    await writeFileAtomic(certFile, chainPem, { mode: PUBLIC_FILE_MODE });
  } catch (err) {
    throw ioError('write', certFile, err);
  }
  return { identity: toIdentity(keys, current.auth, chainPem), summary };
}
