import { strict as assert } from 'node:assert';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pushmeshOk } from '../helpers/cli.js';
import { eventually, metrics, metricValue, postMessage } from '../helpers/local-api.js';
import { spawnNode, type NodeProcess } from '../helpers/node-process.js';
import { makeOpensslCa, type OpensslCa } from '../helpers/openssl-ca.js';
import { tempDir, tempHome } from '../helpers/temp-dir.js';

/** CLI runs may wait on a loaded machine: a bound, not a sleep. */
const SLOW = { timeoutMs: 60_000 };

/** A home whose certificate an openssl CA issued (init, cert request, openssl x509 -req): the file's path. */
async function caIssued(ca: OpensslCa, home: string, name: string): Promise<{ id: string; certFile: string }> {
  const id = await pushmeshOk(['init', '--home', home], SLOW);
  const csr = await pushmeshOk(['cert', 'request', '--home', home], SLOW);
  return { id, certFile: await ca.sign(csr + '\n', { name, san: id }) };
}

function grpcAddress(node: NodeProcess): string {
  return String(node.logs.find((r) => r.msg === 'pushmesh node running')!['grpc']);
}

describe('two pushmesh run processes with CA-issued certificates link over gRPC and WebSocket, admitted by --trust-ca', () => {
  let ca: OpensslCa;
  before(async () => {
    ca = await makeOpensslCa(await tempDir());
  });
  after(() => rm(ca.dir, { recursive: true, force: true }));

  it('A (init --cert, an empty peers.allow) admits B (run --cert) as CA-signed on both transports, and refuses a self-signed node', async (t) => {
    const homeA = await tempHome(t);
    const a = await caIssued(ca, homeA, 'a');
    await pushmeshOk(['init', '--home', homeA, '--cert', a.certFile], SLOW);
    // Only CA-signed nodes may dial in: nobody is listed.
    await writeFile(join(homeA, 'peers.allow'), '# only nodes whose certificate the trust CA issued\n');
    const nodeA = await spawnNode({ home: homeA, scope: t, grpc: '127.0.0.1:0', args: ['--trust-ca', ca.certFile] });

    const homeB = await tempHome(t);
    const b = await caIssued(ca, homeB, 'b'); // given to run as a file (certFile), cert.pem stays self-signed
    const dialB = (peer: string): Promise<NodeProcess> => spawnNode({ home: homeB, scope: t, args: ['--cert', b.certFile, '--trust-ca', ca.certFile, '--peer', peer] });

    const overGrpc = await dialB(`grpcs://${a.id}@${grpcAddress(nodeA)}`);
    const upGrpc = await overGrpc.waitForLog((r) => r.msg === 'peer link up' && r['peer'] === a.id);
    assert.equal(upGrpc['transport'], 'grpc');
    const readyGrpc = await nodeA.waitForLog((r) => r.msg === 'peer link ready' && r['peer'] === b.id && r['transport'] === 'grpc');
    assert.equal(readyGrpc['direction'], 'inbound');
    // A message crosses it (B learned A's card in the link handshake).
    const sent = await postMessage(overGrpc.local, 'ca-mesh', { to: a.id }, { hello: 'from b' });
    assert.equal(sent.status, 202, JSON.stringify(sent.json));
    await eventually(() => metrics(nodeA.local), (text) => metricValue(text, 'pushmesh_messages_in_total', { via: 'link' }) >= 1, 30_000, 'the message at A');
    assert.equal((await overGrpc.stop()).code, 0);

    const overWs = await dialB(`wss://${a.id}@127.0.0.1:${nodeA.httpsPort}/ws`);
    const upWs = await overWs.waitForLog((r) => r.msg === 'peer link up' && r['peer'] === a.id);
    assert.equal(upWs['transport'], 'wss');
    await nodeA.waitForLog((r) => r.msg === 'peer link ready' && r['peer'] === b.id && r['transport'] === 'wss');
    assert.equal((await overWs.stop()).code, 0);

    // The control: a node with its self-signed certificate is not on the list and not CA-signed.
    const selfSigned = await spawnNode({ scope: t, args: ['--peer', `grpcs://${a.id}@${grpcAddress(nodeA)}`] });
    const refused = await nodeA.waitForLog((r) => r.msg === 'gRPC peer refused');
    assert.match(String(refused['reason']), /^forbidden: node is not on the allow list/);
    const cannot = await selfSigned.waitForLog((r) => r.msg === 'cannot link to peer');
    assert.match(String(cannot['reason']), /forbidden/);
    assert.equal((await selfSigned.stop()).code, 0);
    assert.equal((await nodeA.stop()).code, 0);
  });
});
