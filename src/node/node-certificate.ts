import { join } from 'node:path';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { NodeConfig } from '../config/index.js';
import { CERT_FILE } from '../home/index.js';
import { CERTIFICATE_WARN_DAYS, daysLeft, leafCertificate, summarizeCertificate } from '../identity/index.js';
import type { Identity } from '../identity/types.js';

/**
 * Tells about the node's certificate at start (docs/identity.md
 * "Certificates from a CA"): the gauge
 * `pushmesh_certificate_expiry_timestamp_seconds{issued_by="self"|"ca"}`
 * (when it ends, Unix seconds: alert on it minus `time()`), an info line
 * for a CA-issued certificate, and a warning when one has fewer than
 * CERTIFICATE_WARN_DAYS left (pushmesh renews only its self-signed ones).
 */
export function reportCertificate(identity: Identity, config: NodeConfig, logger: Logger, registry: Registry, now: Date = new Date()): void {
  const cert = leafCertificate(identity.certificatePem);
  if (cert === null) return; // not reached: loadIdentity always gives a certificate
  const summary = summarizeCertificate(cert);
  const gauge = new Gauge({
    name: 'pushmesh_certificate_expiry_timestamp_seconds',
    help: "When the node's TLS certificate expires (Unix seconds); issued_by: self (renewed by pushmesh) or ca (renewed by you)",
    labelNames: ['issued_by'],
    registers: [registry],
  });
  gauge.set({ issued_by: summary.issuedBy }, Math.floor(summary.notAfter.getTime() / 1000));
  if (summary.issuedBy === 'self') return;
  const file = config.certFile || join(config.home, CERT_FILE);
  const left = daysLeft(summary.notAfter, now);
  const fields = { certificate: file, issuer: summary.issuer, notAfter: summary.notAfter.toISOString(), daysLeft: left };
  if (left < CERTIFICATE_WARN_DAYS) {
    logger.warn(fields, `the node certificate expires in ${left} days; have it renewed (pushmesh cert request, then pushmesh init --cert or replace the file)`);
  } else {
    logger.info(fields, 'using a CA-issued node certificate');
  }
}
