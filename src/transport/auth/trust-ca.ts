import type { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PushmeshError } from '../../errors/index.js';
import { parseCertificates } from './peer-proof.js';

/** Reads the trust CA file (`--trust-ca`): one or more PEM certificates. ERR_CONFIG when unreadable. */
export async function loadTrustCas(path: string | null): Promise<X509Certificate[]> {
  if (!path) return [];
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    throw new PushmeshError('ERR_CONFIG', `cannot read the trust CA file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { cause: err });
  }
  return parseCertificates(pem, `trust CA file ${path}`);
}
