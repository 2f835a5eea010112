import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { PushmeshError } from '../../errors/index.js';
import type { CertificateSummary, Identity } from '../../identity/index.js';
import { notice, type CliContext } from '../context.js';
import { homeFrom, withHomeOption } from '../home-option.js';

interface InitOptions {
  home?: string;
  importKey?: string;
  auth?: string;
  cert?: string;
  force?: boolean;
}

/**
 * `pushmesh init [--import-key FILE] [--auth B64URL] [--cert FILE] [--force]`:
 * create the identity, print the node ID. `--cert` alone on an existing
 * identity gives it a certificate issued by a CA (docs/identity.md
 * "Certificates from a CA").
 */
export function registerInit(program: Command, ctx: CliContext): void {
  withHomeOption(program.command('init'))
    .description('create the node identity (or import a P-256 key), or give it a CA-issued certificate; print the node ID')
    .option('--import-key <file>', 'adopt an existing P-256 private key (PKCS#8 or SEC1 PEM)')
    .option('--auth <b64url>', 'Web Push auth secret to use (base64url of 16 bytes; default: random)')
    .option('--cert <file>', 'use this certificate, issued by a CA for the node key (see pushmesh cert request), instead of a self-signed one')
    .option('--force', 'replace an existing identity')
    .action(async (options: InitOptions) => {
      // Loaded when the verb runs, not at every CLI start (docs/benchmarks.md "CLI start").
      const [{ acquireHomeLock, ensureHome }, { createIdentity, identityExists, installCertificate }] = await Promise.all([import('../../home/index.js'), import('../../identity/index.js')]);
      const home = homeFrom(options, ctx);
      const importKeyPem = options.importKey === undefined ? undefined : await readInputFile(options.importKey, 'key');
      const certificatePem = options.cert === undefined ? undefined : await readInputFile(options.cert, 'certificate');
      // Not while a node runs on this home (it holds the lock): it would keep the old key and write with it.
      await ensureHome(home);
      const onlyCertificate = certificatePem !== undefined && importKeyPem === undefined && options.auth === undefined && options.force !== true;
      const lock = await acquireHomeLock(home, { purpose: options.force === true ? 'replace the identity' : onlyCertificate ? 'install a certificate' : 'create an identity' });
      let identity: Identity;
      try {
        if (onlyCertificate && (await identityExists(home))) {
          identity = (await installCertificate(home, certificatePem, `certificate file ${options.cert}`)).identity;
        } else {
          identity = await createIdentity(home, {
            importKeyPem,
            importKeySource: options.importKey,
            auth: options.auth,
            force: options.force === true,
            certificatePem,
            certificateSource: `certificate file ${options.cert}`,
          });
        }
      } finally {
        lock.release();
      }
      if (certificatePem !== undefined) await describeCertificate(ctx, options.cert!, identity);
      ctx.stdout.write(identity.id + '\n');
    });
}

/** One notice line on stderr about the certificate now in use, and a warning when it ends soon. */
async function describeCertificate(ctx: CliContext, file: string, identity: Identity): Promise<void> {
  const { CERTIFICATE_WARN_DAYS, daysLeft, leafCertificate, summarizeCertificate } = await import('../../identity/index.js');
  const cert = leafCertificate(identity.certificatePem);
  if (cert === null) return;
  const s: CertificateSummary = summarizeCertificate(cert);
  notice(ctx, `using the certificate from ${file}: issued by ${s.issuedBy === 'self' ? 'itself (self-signed)' : s.issuer}, valid until ${s.notAfter.toISOString()}`);
  const left = daysLeft(s.notAfter);
  if (left < CERTIFICATE_WARN_DAYS) notice(ctx, `warning: the certificate expires in ${left} days; pushmesh will not renew it`);
}

async function readInputFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err);
    throw new PushmeshError('ERR_BAD_ARGUMENT', `cannot read ${what} file ${file} (${code})`, { cause: err });
  }
}
