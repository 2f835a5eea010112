import type { Command } from 'commander';
import { notice, type CliContext } from '../context.js';
import { homeFrom, withHomeOption } from '../home-option.js';

interface RequestOptions {
  home?: string;
  dns?: string[];
}

interface ShowOptions {
  home?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/**
 * `pushmesh cert request [--dns NAME]…`: print a CSR (PEM) for the node key;
 * `pushmesh cert show [--json]`: the certificate in use (docs/identity.md
 * "Certificates from a CA"). Both need an existing identity; they change
 * nothing (but a missing or stale self-signed certificate is made again,
 * as at every load, and said so).
 */
export function registerCert(program: Command, ctx: CliContext): void {
  const cert = program.command('cert').description("the node's TLS certificate: a signing request for a CA, or what is in use");
  withHomeOption(cert.command('request'))
    .description('print a certificate signing request (PKCS#10 PEM) for the node key: CN and DNS subjectAltName = node ID')
    .option('--dns <name>', 'another DNS name for the subjectAltName, e.g. the host name of a relay (repeatable)', collect)
    .action(async (options: RequestOptions) => {
      const { createCertificateRequest, loadIdentity } = await import('../../identity/index.js'); // loaded when the verb runs (CLI start)
      const identity = await loadIdentity(homeFrom(options, ctx));
      const keys = { privateKey: identity.privateKey, publicKey: identity.publicKey, privateScalar: identity.privateScalar, pkcs8Pem: identity.privateKeyPem };
      ctx.stdout.write(await createCertificateRequest(keys, identity.id, { dnsNames: options.dns ?? [] }));
    });
  withHomeOption(cert.command('show'))
    .description("show the home folder's certificate: who issued it, until when")
    .option('--json', 'one JSON object')
    .action(async (options: ShowOptions) => {
      const { daysLeft, leafCertificate, loadIdentity, summarizeCertificate } = await import('../../identity/index.js');
      const identity = await loadIdentity(homeFrom(options, ctx), { onCertificateRenewed: (reason) => notice(ctx, reason) });
      const leaf = leafCertificate(identity.certificatePem)!;
      const s = summarizeCertificate(leaf);
      const shown = { id: identity.id, issuedBy: s.issuedBy, subject: s.subject, issuer: s.issuer, notAfter: s.notAfter.toISOString(), daysLeft: daysLeft(s.notAfter) };
      if (options.json === true) ctx.stdout.write(JSON.stringify(shown) + '\n');
      else ctx.stdout.write(Object.entries(shown).map(([k, v]) => `${k}: ${String(v)}`).join('\n') + '\n');
    });
}
