/**
 * Start-up honesty (issue 16): the "pushmesh node running" line names what
 * is really connected — backends, the fabric, the signed-config channels —
 * and a documented setup writes nothing on stderr: with the Pub/Sub
 * emulator, no MetadataLookupWarning (the client never looks for the GCE
 * metadata server). A start that fails never prints the line: see
 * test/backends/cli-backends.test.ts ("refuses bad backend settings").
 */
import { strict as assert } from 'node:assert';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { spawnNode } from '../helpers/node-process.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';
import { startPubSubEmulator } from './support/pubsub-emulator.js';

describe('the start-up line names what is connected; no noise on stderr', { timeout: 180_000 }, () => {
  let nats: NatsServer;
  before(async () => {
    nats = await startNatsServer();
  });
  after(() => nats?.stop());

  it('NATS: backends [nats], config channels [nats]; with the fabric: fabric true; "signed config ready" claims no channel', async (t) => {
    const plain = await spawnNode({ scope: t, https: 'off', args: ['--nats', nats.url] });
    const line = plain.logs.find((r) => r.msg === 'pushmesh node running')!;
    assert.deepEqual([line['backends'], line['fabric'], line['configChannels']], [['nats'], false, ['nats']]);
    const ready = plain.logs.find((r) => r.msg === 'signed config ready')!;
    assert.equal(ready['channels'], undefined);
    assert.deepEqual(await plain.stop(), { code: 0, signal: null });
    assert.equal(plain.stderr(), '');

    const fabric = await spawnNode({ scope: t, https: 'off', args: ['--nats', nats.url], configYaml: 'backends:\n  nats:\n    fabric: true\n' });
    assert.equal(fabric.logs.find((r) => r.msg === 'pushmesh node running')!['fabric'], true);
    assert.deepEqual(await fabric.stop(), { code: 0, signal: null });
    assert.equal(fabric.stderr(), '');
  });

  it('no backend: backends [], fabric false, config channels []', async (t) => {
    const node = await spawnNode({ scope: t, https: 'off' });
    const line = node.logs.find((r) => r.msg === 'pushmesh node running')!;
    assert.deepEqual([line['backends'], line['fabric'], line['configChannels']], [[], false, []]);
    assert.deepEqual(await node.stop(), { code: 0, signal: null });
  });

  it('Pub/Sub emulator: backends [pubsub], nothing on stderr, the GCE metadata server never asked', async (t) => {
    const emulator = await startPubSubEmulator();
    t.after(() => emulator.stop());
    // Where google-auth-library would look for the GCE metadata server (GCE_METADATA_HOST): a server that counts the questions.
    let asked = 0;
    const metadata = createServer((_req, res) => {
      asked++;
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => metadata.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise((resolve) => metadata.close(resolve)));
    const env = { PUBSUB_EMULATOR_HOST: emulator.host, GCE_METADATA_HOST: `127.0.0.1:${(metadata.address() as { port: number }).port}` };
    const node = await spawnNode({ scope: t, https: 'off', args: ['--pubsub', 'pushmesh-quiet', '--bridge', 'quiet.*=pubsub,plaintext'], env });
    const line = node.logs.find((r) => r.msg === 'pushmesh node running')!;
    assert.deepEqual([line['backends'], line['configChannels']], [['pubsub'], ['pubsub']]);
    // Something crosses to Pub/Sub before the stop: the client has made every connection it makes.
    const res = await fetch(`${node.local}/msg/quiet.hello`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"hi":1}' });
    assert.equal(res.status, 202);
    assert.deepEqual(await node.stop(), { code: 0, signal: null });
    assert.equal(node.stderr(), '');
    assert.equal(asked, 0, 'the GCE metadata server was asked');
  });
});
