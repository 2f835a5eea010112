import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { pushmeshOk, runPushmesh, STACK_FRAME } from '../helpers/cli.js';
import { metrics } from '../helpers/local-api.js';
import { spawnNode } from '../helpers/node-process.js';
import { makeOpensslCa, openssl, type OpensslCa } from '../helpers/openssl-ca.js';
import { tempDir, tempHome } from '../helpers/temp-dir.js';

/** CLI runs may wait on a loaded machine: a bound, not a sleep. */
const SLOW = { timeoutMs: 60_000 };

/** What an operator does (docs/identity.md "Certificates from a CA"): init, cert request, openssl signs. */
async function nodeWithCsr(t: { after(fn: () => unknown): void }): Promise<{ home: string; id: string; csr: string }> {
  const home = await tempHome(t);
  const id = await pushmeshOk(['init', '--home', home], SLOW);
  const csr = await pushmeshOk(['cert', 'request', '--home', home], SLOW);
  return { home, id, csr: csr + '\n' };
}

/** The certificate a TLS server at 127.0.0.1:port presents. */
function presentedCertificate(port: number): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.destroy();
      if (cert) resolve(cert);
      else reject(new Error('no certificate presented'));
    });
    socket.once('error', reject);
  });
}

const OFF = ['--local', '127.0.0.1:0', '--https', 'off', '--grpc', 'off'];

describe('certificates from a CA, with a CA made by openssl', () => {
  let ca: OpensslCa;
  before(async () => {
    ca = await makeOpensslCa(await tempDir());
  });
  after(() => rm(ca.dir, { recursive: true, force: true }));

  it('pushmesh cert request makes a CSR openssl verifies, for the node key, CN = node ID, node ID in the SAN', async (t) => {
    const { home, id, csr } = await nodeWithCsr(t);
    const dir = await tempDir(t);
    await writeFile(join(dir, 'node.csr'), csr);
    const shown = await openssl(dir, ['req', '-in', 'node.csr', '-noout', '-verify', '-subject', '-text']);
    assert.match(shown, new RegExp(`subject=CN = ${id}`));
    assert.match(shown, new RegExp(`DNS:${id}`));
    // The CSR's key is the node's key.
    const csrKey = await openssl(dir, ['req', '-in', 'node.csr', '-noout', '-pubkey']);
    const nodeKey = await openssl(home, ['pkey', '-in', 'key.pem', '-pubout']);
    assert.equal(csrKey, nodeKey);
    // More names for a relay's host name; a bad one is a usage error.
    const more = await pushmeshOk(['cert', 'request', '--home', home, '--dns', 'relay.example.net'], SLOW);
    await writeFile(join(dir, 'more.csr'), more + '\n');
    assert.match(await openssl(dir, ['req', '-in', 'more.csr', '-noout', '-text']), new RegExp(`DNS:${id}, DNS:relay.example.net`));
    const bad = await runPushmesh(['cert', 'request', '--home', home, '--dns', 'not a name'], SLOW);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'pushmesh: --dns "not a name" is not a DNS name\n');
  });

  it('openssl signs the CSR, init --cert installs it, and pushmesh run keeps it byte for byte through a start and a restart', async (t) => {
    const { home, id, csr } = await nodeWithCsr(t);
    const certFile = await ca.sign(csr, { name: 'kept', san: id });
    const init = await runPushmesh(['init', '--home', home, '--cert', certFile], SLOW);
    assert.equal(init.code, 0, init.stderr);
    assert.equal(init.stdout, id + '\n');
    assert.match(init.stderr, /^pushmesh: using the certificate from .*: issued by CN=pushmesh test org CA, valid until 20\d\d-/);
    const given = await readFile(certFile);
    assert.deepEqual(await readFile(join(home, 'cert.pem')), given);

    for (const round of ['start', 'restart']) {
      const node = await spawnNode({ home, scope: t, args: ['--https', '127.0.0.1:0'] });
      assert.equal(node.id, id);
      const info = await node.waitForLog((r) => r.msg === 'using a CA-issued node certificate');
      assert.equal(info['issuer'], 'CN=pushmesh test org CA', round);
      // The HTTPS listener (Web Push, peer WebSocket) presents the CA-issued certificate.
      const presented = await presentedCertificate(node.httpsPort!);
      assert.deepEqual(presented.raw, new X509Certificate(given).raw, round);
      assert.match(await metrics(node.local), /pushmesh_certificate_expiry_timestamp_seconds\{issued_by="ca"\} \d{10}/);
      assert.equal((await node.stop()).code, 0);
      assert.deepEqual(await readFile(join(home, 'cert.pem')), given, `cert.pem after the ${round}`);
    }
    const show = JSON.parse(await pushmeshOk(['cert', 'show', '--home', home, '--json'], SLOW)) as Record<string, unknown>;
    assert.equal(show['issuedBy'], 'ca');
    assert.equal(show['issuer'], 'CN=pushmesh test org CA');
  });

  it('refuses a certificate for another key, one without the node ID, and an expired one: one line, exit 1, cert.pem untouched', async (t) => {
    const { home, id, csr } = await nodeWithCsr(t);
    const other = await nodeWithCsr(t);
    const before = await readFile(join(home, 'cert.pem'));
    const forOther = await ca.sign(other.csr, { name: 'other', san: other.id });
    // A request for this node's key that names someone else, signed without a SAN.
    const dir = await tempDir(t);
    await openssl(dir, ['req', '-new', '-key', join(home, 'key.pem'), '-subj', '/CN=someone-else', '-out', 'noid.csr']);
    const noId = await ca.sign(await readFile(join(dir, 'noid.csr'), 'utf8'), { name: 'noid', san: null });
    const expired = await ca.sign(csr, { name: 'expired', san: id, days: -1 });
    const cases: [string, RegExp][] = [
      [forOther, /: the certificate is for another key \(node \w{12}…\), not this node's \(\w{12}…\); sign a request made by pushmesh cert request$/],
      [noId, new RegExp(`: the certificate does not name this node: put ${id} in its subject CN or as a DNS subjectAltName$`)],
      [expired, /: the certificate expired on 20\d\d-\d\d-\d\dT[\d:.]+Z; have it renewed \(pushmesh cert request\)$/],
    ];
    for (const [file, reason] of cases) {
      const r = await runPushmesh(['init', '--home', home, '--cert', file], SLOW);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, '');
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, r.stderr);
      assert.ok(lines[0]!.startsWith(`pushmesh: certificate file ${file}: the certificate `), lines[0]);
      assert.match(lines[0]!, reason);
      assert.doesNotMatch(r.stderr, STACK_FRAME);
      assert.deepEqual(await readFile(join(home, 'cert.pem')), before, 'nothing written');
      // The same certificate given to pushmesh run: refused at start, before the "running" line.
      const run = await runPushmesh(['run', '--home', home, ...OFF, '--cert', file], SLOW);
      assert.equal(run.code, 1, run.stderr);
      assert.doesNotMatch(run.stdout, /pushmesh node running/);
      assert.match(run.stderr, new RegExp(`^pushmesh: certificate file ${file}: the certificate .*\\n$`));
    }
    // A CA-issued cert.pem that expired in place: run refuses, and leaves it for the operator to renew.
    const expiredText = await readFile(expired);
    await writeFile(join(home, 'cert.pem'), expiredText);
    const run = await runPushmesh(['run', '--home', home, ...OFF], SLOW);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /^pushmesh: CA-issued certificate .*cert\.pem: the certificate expired on .*\n$/);
    assert.deepEqual(await readFile(join(home, 'cert.pem')), expiredText, 'never replaced by a self-signed one');
    // ...while the verbs that only need the key still work (and a new request can be made).
    assert.equal(await pushmeshOk(['id', '--home', home], SLOW), id);
    assert.match(await pushmeshOk(['cert', 'request', '--home', home], SLOW), /^-----BEGIN CERTIFICATE REQUEST-----/);
  });

  it('a certificate near its end is taken with a warning (init --cert, and at every start), and the metric says when it ends', async (t) => {
    const { home, id, csr } = await nodeWithCsr(t);
    const certFile = await ca.sign(csr, { name: 'short', san: id, days: 5 });
    const init = await runPushmesh(['init', '--home', home, '--cert', certFile], SLOW);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stderr, /\npushmesh: warning: the certificate expires in [45] days; pushmesh will not renew it\n$/);
    const node = await spawnNode({ home, scope: t });
    const warning = await node.waitForLog((r) => r.level === 40 && /^the node certificate expires in [45] days/.test(String(r.msg)));
    assert.equal(warning['issuer'], 'CN=pushmesh test org CA');
    assert.ok(warning['daysLeft'] === 4 || warning['daysLeft'] === 5);
    const notAfter = Date.parse(new X509Certificate(await readFile(certFile)).validTo) / 1000;
    assert.match(await metrics(node.local), new RegExp(`pushmesh_certificate_expiry_timestamp_seconds\\{issued_by="ca"\\} ${notAfter}\\b`));
  });
});
