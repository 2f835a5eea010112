import { join } from 'node:path';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { NodeConfig } from '../config/index.js';
import { CERT_FILE } from '../home/index.js';
import { CERTIFICATE_WARN_DAYS, daysLeft, leafCertificate, summarizeCertificate, type CertificateSummary } from '../identity/index.js';
import type { Identity } from '../identity/types.js';
import type { Part } from './lifecycle.js';

/** How often a running node looks at its certificate's end again (and warns while it is near). */
export const CERTIFICATE_CHECK_MS = 24 * 60 * 60 * 1000;

/** The node's certificate as `GET /healthz` reports it (docs/local-api.md). */
export interface CertificateHealth {
  /** `self-signed`: made and renewed by pushmesh; `ca`: issued by a CA, renewed by you. */
  kind: 'self-signed' | 'ca';
  /** When it ends (ISO 8601, UTC). */
  notAfter: string;
  /** Whole days left (negative once it ended). */
  daysLeft: number;
  /** Fewer than CERTIFICATE_WARN_DAYS (30) days left: the node warns in its log, at start and daily. */
  expiringSoon: boolean;
}

export interface NodeCertificateOptions {
  /** Default: the clock. */
  now?: () => Date;
  /** Default: CERTIFICATE_CHECK_MS. */
  checkEveryMs?: number;
}

/**
 * The node's certificate (docs/identity.md "Certificates from a CA"), as
 * a part: the gauge
 * `pushmesh_certificate_expiry_timestamp_seconds{issued_by="self"|"ca"}`
 * (when it ends, Unix seconds: alert on it minus `time()`); at start an
 * info line for a CA-issued certificate; at start and then daily a
 * warning while it has fewer than CERTIFICATE_WARN_DAYS left (a
 * long-running node warns when it enters that window); `health()` for
 * `GET /healthz`.
 */
export class NodeCertificate implements Part {
  readonly name = 'certificate';
  readonly #summary: CertificateSummary | null;
  readonly #file: string;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #every: number;
  #timer: NodeJS.Timeout | null = null;

  constructor(identity: Identity, config: NodeConfig, logger: Logger, registry: Registry, opts: NodeCertificateOptions = {}) {
    const cert = leafCertificate(identity.certificatePem);
    this.#summary = cert === null ? null : summarizeCertificate(cert); // null not reached: loadIdentity always gives a certificate
    this.#file = config.certFile || join(config.home, CERT_FILE);
    this.#log = logger;
    this.#now = opts.now ?? (() => new Date());
    this.#every = opts.checkEveryMs ?? CERTIFICATE_CHECK_MS;
    if (!this.#summary) return;
    const gauge = new Gauge({
      name: 'pushmesh_certificate_expiry_timestamp_seconds',
      help: "When the node's TLS certificate expires (Unix seconds); issued_by: self (renewed by pushmesh) or ca (renewed by you)",
      labelNames: ['issued_by'],
      registers: [registry],
    });
    gauge.set({ issued_by: this.#summary.issuedBy }, Math.floor(this.#summary.notAfter.getTime() / 1000));
  }

  start(): void {
    if (!this.#summary) return;
    if (!this.check() && this.#summary.issuedBy === 'ca') this.#log.info(this.#fields(this.#summary), 'using a CA-issued node certificate');
    this.#timer = setInterval(() => this.check(), this.#every);
    this.#timer.unref();
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Warns when the certificate is near its end (or past it); returns whether it did. */
  check(): boolean {
    const s = this.#summary;
    if (!s) return false;
    const fields = this.#fields(s);
    if (fields.daysLeft >= CERTIFICATE_WARN_DAYS) return false;
    const renew = s.issuedBy === 'ca' ? 'have it renewed (pushmesh cert request, then pushmesh init --cert or replace the file)' : 'pushmesh makes a new self-signed one at the first start after it ends';
    const when = fields.daysLeft < 0 ? `ended ${-fields.daysLeft} days ago` : `expires in ${fields.daysLeft} days`;
    this.#log.warn(fields, `the node certificate ${when}; ${renew}`);
    return true;
  }

  health(): CertificateHealth | null {
    const s = this.#summary;
    if (!s) return null;
    const left = daysLeft(s.notAfter, this.#now());
    return { kind: s.issuedBy === 'self' ? 'self-signed' : 'ca', notAfter: s.notAfter.toISOString(), daysLeft: left, expiringSoon: left < CERTIFICATE_WARN_DAYS };
  }

  #fields(s: CertificateSummary): { certificate: string; issuer: string; notAfter: string; daysLeft: number } {
    return { certificate: this.#file, issuer: s.issuer, notAfter: s.notAfter.toISOString(), daysLeft: daysLeft(s.notAfter, this.#now()) };
  }
}
