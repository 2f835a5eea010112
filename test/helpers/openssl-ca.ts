import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs the real `openssl` with `args` in `cwd`; rejects with its stderr when it fails. */
export async function openssl(cwd: string, args: readonly string[]): Promise<string> {
  try {
    return (await run('openssl', [...args], { cwd, timeout: 60_000 })).stdout;
  } catch (err) {
    throw new Error(`openssl ${args.join(' ')} failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
  }
}

/** A certificate authority made by `openssl` in `dir` (P-256 key, self-signed CA:TRUE certificate), as an operator would. */
export interface OpensslCa {
  readonly dir: string;
  /** Path of the CA certificate (what the other side gives to --trust-ca). */
  readonly certFile: string;
  /**
   * Signs a CSR (PEM text) as docs/identity.md shows: `openssl x509 -req`
   * with `subjectAltName = DNS:<san>` from an extension file (no SAN when
   * `san` is null), valid `days` days (negative: already expired). Returns
   * the certificate file's path.
   */
  sign(csrPem: string, opts: { name: string; san: string | null; days?: number }): Promise<string>;
}

export async function makeOpensslCa(dir: string, name = 'pushmesh test org CA'): Promise<OpensslCa> {
  await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  await openssl(dir, [
    'req', '-x509', '-new', '-key', 'ca.key', '-subj', `/CN=${name}`, '-days', '365', '-out', 'ca.pem',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return {
    dir,
    certFile: join(dir, 'ca.pem'),
    async sign(csrPem, opts) {
      const csr = `${opts.name}.csr`;
      await writeFile(join(dir, csr), csrPem);
      const ext = `${opts.name}.ext`;
      const lines = ['basicConstraints = CA:FALSE', 'keyUsage = critical, digitalSignature, keyAgreement', 'extendedKeyUsage = serverAuth, clientAuth'];
      if (opts.san !== null) lines.push(`subjectAltName = DNS:${opts.san}`);
      await writeFile(join(dir, ext), lines.join('\n') + '\n');
      const out = `${opts.name}.pem`;
      await openssl(dir, ['x509', '-req', '-in', csr, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', String(opts.days ?? 90), '-extfile', ext, '-out', out]);
      return join(dir, out);
    },
  };
}

/** Text of a file. */
export function text(path: string): Promise<string> {
  return readFile(path, 'utf8');
}
