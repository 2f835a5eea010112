import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { cardFor, createIdentity } from '../../src/identity/index.js';
import { nodeIdOfCertificate } from '../../src/identity/certificate-node-id.js';
import { PushClient } from '../../src/transport/https/push-client.js';
import { tempHome } from '../helpers/temp-dir.js';

describe('peer certificates', () => {
  it('a node certificate names the node ID of its key', async (t) => {
    const identity = await createIdentity(await tempHome(t));
    assert.equal(nodeIdOfCertificate(new X509Certificate(identity.certificatePem)), identity.id);
  });

  it('the push client delivers to the pinned node and refuses another node, over real TLS, rejecting the other without throwing out of a handler', async (t) => {
    const server = await createIdentity(await tempHome(t));
    const other = await createIdentity(await tempHome(t));
    const https = createServer({ key: server.privateKeyPem, cert: server.certificatePem }, (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(201).end());
    });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => (https.closeAllConnections(), https.close(() => resolve()))));
    const origin = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
    const client = new PushClient({ timeoutMs: 10_000 });
    t.after(() => client.close());
    const push = { body: Buffer.alloc(103), authorization: 'vapid t=a.b.c, k=x', ttl: 60, urgency: 'normal' as const };

    assert.deepEqual(await client.post({ ...push, card: cardFor(server, origin) }), { status: 201 });
    // The same address claimed as another node's endpoint: the certificate's key is not that node's.
    await assert.rejects(client.post({ ...push, card: { ...cardFor(other, origin) } }), /certificate is not node/);
  });
});
