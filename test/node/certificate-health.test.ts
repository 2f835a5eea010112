/**
 * The node's certificate as the operator sees it (issue 16): a field of
 * GET /healthz (kind, end, days left, expiring soon), `pushmesh health`
 * showing it, and a warning in the log at start and then periodically
 * while the certificate is within CERTIFICATE_WARN_DAYS of its end (a
 * long-running node warns when it enters that window).
 */
import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { certificateText } from '../../src/cli/commands/health.js';
import { defaultConfig } from '../../src/config/index.js';
import { createCertificateRequest, createIdentity, createSelfSignedCertificate, type Identity } from '../../src/identity/index.js';
import { NodeCertificate } from '../../src/node/node-certificate.js';
import { pushmeshOk } from '../helpers/cli.js';
import { getJson } from '../helpers/local-api.js';
import { localUrl, startInProcessNode } from '../helpers/in-process-node.js';
import { makeOpensslCa, type OpensslCa } from '../helpers/openssl-ca.js';
import { tempDir, tempHome } from '../helpers/temp-dir.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const keysOf = (i: Identity) => ({ privateKey: i.privateKey, publicKey: i.publicKey, privateScalar: i.privateScalar, pkcs8Pem: i.privateKeyPem });

/** A pino logger whose lines are kept and emitted ('line') as they come. */
function capturedLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>>; events: EventEmitter } {
  const lines: Array<Record<string, unknown>> = [];
  const events = new EventEmitter();
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        events.emit('line', line);
      }
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines, events };
}

/** Resolves once `n` warnings are in `lines` (bounded; the bound's timer keeps the process up while the node's timer is unref'd). */
async function warnings(c: ReturnType<typeof capturedLogger>, n: number, ms = 20_000): Promise<Array<Record<string, unknown>>> {
  const found = () => c.lines.filter((l) => l['level'] === 40);
  const bound = new AbortController();
  const timer = setTimeout(() => bound.abort(new Error(`fewer than ${n} warnings within ${ms} ms`)), ms);
  try {
    while (found().length < n) await once(c.events, 'line', { signal: bound.signal });
  } finally {
    clearTimeout(timer);
  }
  return found();
}

describe("the node's certificate in health and log", () => {
  let ca: OpensslCa;
  before(async () => {
    ca = await makeOpensslCa(await tempDir());
  });
  after(() => rm(ca.dir, { recursive: true, force: true }));

  it('NodeCertificate: a self-signed certificate near its end is in health as expiring, warned at start and again at each check', async (t) => {
    const home = await tempHome(t);
    const identity = await createIdentity(home);
    const short = { ...identity, certificatePem: await createSelfSignedCertificate(keysOf(identity), identity.id, { validityDays: 5 }) };
    const log = capturedLogger();
    const cert = new NodeCertificate(short, defaultConfig(home), log.logger, new Registry(), { checkEveryMs: 50 });
    t.after(() => cert.close());
    const h = cert.health()!;
    assert.equal(h.kind, 'self-signed');
    assert.ok(h.daysLeft === 4 || h.daysLeft === 5, String(h.daysLeft));
    assert.equal(h.expiringSoon, true);
    assert.ok(Date.parse(h.notAfter) > Date.now());
    cert.start();
    const [first, second] = await warnings(log, 2);
    assert.match(String(first!['msg']), /^the node certificate expires in [45] days; pushmesh makes a new self-signed one at the first start after it ends$/);
    assert.equal(first!['certificate'], join(home, 'cert.pem'));
    assert.equal(second!['msg'], first!['msg'], 'the periodic check warns the same way');
  });

  it('NodeCertificate: a certificate far from its end is not warned about; a node still running when it enters the window is', async (t) => {
    const home = await tempHome(t);
    const identity = await createIdentity(home);
    const year = { ...identity, certificatePem: await createSelfSignedCertificate(keysOf(identity), identity.id, { validityDays: 400 }) };
    let now = new Date();
    const log = capturedLogger();
    const cert = new NodeCertificate(year, defaultConfig(home), log.logger, new Registry(), { now: () => now });
    cert.start();
    t.after(() => cert.close());
    assert.equal(cert.health()!.expiringSoon, false);
    assert.equal(cert.check(), false);
    assert.equal(log.lines.filter((l) => l['level'] === 40).length, 0, 'no warning');
    now = new Date(Date.now() + 390 * DAY_MS); // 390 days later: within 30 days of the end
    assert.equal(cert.health()!.expiringSoon, true);
    assert.equal(cert.check(), true);
    assert.match(String((await warnings(log, 1))[0]!['msg']), /^the node certificate expires in \d+ days/);
    now = new Date(Date.now() + 402 * DAY_MS);
    assert.ok(cert.health()!.daysLeft < 0);
    cert.check();
    assert.match(String((await warnings(log, 2))[1]!['msg']), /^the node certificate ended \d+ days ago/);
  });

  it('GET /healthz and pushmesh health: a CA-issued certificate with 5 days left is expiring soon; a new self-signed one is not', async (t) => {
    const home = join(await tempDir(t), 'home');
    const identity = await createIdentity(home);
    const certFile = await ca.sign(await createCertificateRequest(keysOf(identity), identity.id), { name: 'short-health', san: identity.id, days: 5 });
    const node = await startInProcessNode(t, { home, certFile });
    const { status, json: body } = await getJson(`${localUrl(node)}/healthz`);
    assert.equal(status, 200);
    const c = (body as { certificate: Record<string, unknown> }).certificate;
    assert.equal(c['kind'], 'ca');
    assert.ok(c['daysLeft'] === 4 || c['daysLeft'] === 5, String(c['daysLeft']));
    assert.equal(c['expiringSoon'], true);
    assert.equal(c['notAfter'], new Date(new X509Certificate(await readFile(certFile)).validTo).toISOString());
    const shown = await pushmeshOk(['health', '--local', localUrl(node)], { timeoutMs: 60_000 });
    assert.match(shown, /\ncertificate +ca, ends \d{4}-\d\d-\d\dT[\d:.]+Z \([45] days left\), EXPIRING SOON: have it renewed \(pushmesh cert request\)$/m);

    const plain = await startInProcessNode(t);
    const p = ((await getJson(`${localUrl(plain)}/healthz`)).json as { certificate: Record<string, unknown> }).certificate;
    assert.equal(p['kind'], 'self-signed');
    assert.equal(p['expiringSoon'], false);
    assert.ok((p['daysLeft'] as number) > 3000, 'generated certificates last 10 years');
  });

  it('certificateText: what pushmesh health prints for the field (and any other shape as JSON)', () => {
    assert.equal(certificateText({ kind: 'self-signed', notAfter: '2036-01-01T00:00:00.000Z', daysLeft: 3650, expiringSoon: false }), 'self-signed, ends 2036-01-01T00:00:00.000Z (3650 days left)');
    assert.equal(certificateText({ kind: 'ca', notAfter: '2026-01-01T00:00:00.000Z', daysLeft: -2, expiringSoon: true }), 'ca, ends 2026-01-01T00:00:00.000Z (ended 2 days ago), EXPIRING SOON: have it renewed (pushmesh cert request)');
    assert.equal(certificateText(null), 'null');
    assert.equal(certificateText({ kind: 1 }), '{"kind":1}');
  });
});
