/**
 * A gRPC client generated from Envoy's own discovery protos (vendored in
 * test/fixtures/envoy-protos, loaded with @grpc/proto-loader) talks to a
 * real pushmesh node: mutual TLS with the test's own key, subscribe to
 * pushmesh messages, receive one as an Any resource, decrypt it with the
 * test's own key (http_ece, not pushmesh's code), ACK by nonce — and NACK
 * another with a reason the node reports.
 */
import { strict as assert } from 'node:assert';
import { createECDH } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { packageRoot } from '../../src/util/package-root.js';
import { pushmeshOk } from '../helpers/cli.js';
import { tempHome } from '../helpers/temp-dir.js';
import { localRequest, startNode, type NodeProcess } from '../helpers/node-process.js';
import { makeTlsNode } from './tls-nodes.js';

const require = createRequire(import.meta.url);
const ece = require('http_ece') as { decrypt(buffer: Buffer, params: Record<string, unknown>): Buffer };

const ENVOY_PROTOS = join(packageRoot(), 'test/fixtures/envoy-protos');
const WEBPUSH = 'type.googleapis.com/pushmesh.v1.WebpushMessage';

interface EnvoyDiscoveryResponse {
  version_info: string;
  resources: Array<{ type_url: string; value: Buffer }>;
  type_url: string;
  nonce: string;
  control_plane: { identifier: string } | null;
}

type AdsClient = grpc.Client & { StreamAggregatedResources(): grpc.ClientDuplexStream<Record<string, unknown>, EnvoyDiscoveryResponse> };

function envoyAdsClient(): new (target: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => AdsClient {
  const definition = protoLoader.loadSync('envoy/service/discovery/v3/ads.proto', {
    includeDirs: [ENVOY_PROTOS],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    envoy: { service: { discovery: { v3: { AggregatedDiscoveryService: new (...a: never[]) => AdsClient } } } };
  };
  return pkg.envoy.service.discovery.v3.AggregatedDiscoveryService as never;
}

/** The receiving app's view of pushmesh.v1.WebpushMessage: our published proto, read with plain protobufjs. */
function webpushMessageType(): protobuf.Type {
  const root = new protobuf.Root();
  root.loadSync(join(packageRoot(), 'proto/pushmesh/v1/message.proto'));
  return root.lookupType('pushmesh.v1.WebpushMessage');
}

describe('a client built from Envoy’s own protos', { timeout: 120_000 }, () => {
  let node: NodeProcess | undefined;
  after(async () => {
    await node?.stop('SIGKILL');
  });

  it('connects with mTLS, subscribes, receives an Any, decrypts it with its own key, ACKs and NACKs by nonce', { timeout: 90_000 }, async (t) => {
    const me = await makeTlsNode();
    me.card = { ...me.card, endpoint: `https://127.0.0.1:9/push/${me.id}` }; // never reached: the link is used
    const home = await tempHome(t);
    const cardFile = join(home, '..', 'card.json');
    await writeFile(cardFile, JSON.stringify(me.card));
    await pushmeshOk(['peer', 'add', cardFile, '--home', home]);
    node = await startNode(home, ['--local', '127.0.0.1:0', '--https', 'off', '--grpc', '127.0.0.1:0']);

    // Standard gRPC TLS, nothing pushmesh-specific: trust exactly the node's self-signed certificate,
    // whose DNS name is the node ID; present our own certificate.
    const serverCert = await readFile(join(home, 'cert.pem'));
    const Client = envoyAdsClient();
    const client = new Client(
      node.grpc!,
      grpc.credentials.createSsl(serverCert, Buffer.from(me.tls.key), Buffer.from(me.tls.cert)),
      { 'grpc.ssl_target_name_override': node.id },
    );
    t.after(() => client.close());
    const call = client.StreamAggregatedResources();
    call.on('error', () => undefined);
    const responses: EnvoyDiscoveryResponse[] = [];
    let notify: (() => void) | null = null;
    call.on('data', (r: EnvoyDiscoveryResponse) => {
      responses.push(r);
      notify?.();
    });
    const nextResponse = (n: number): Promise<EnvoyDiscoveryResponse> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no response ${n}`)), 30_000);
        const check = (): void => {
          if (responses.length >= n) {
            clearTimeout(timer);
            resolve(responses[n - 1]!);
          }
        };
        notify = check;
        check();
      });

    call.write({ node: { id: me.id, user_agent_name: 'envoy-protos-test' }, type_url: WEBPUSH });
    await node.waitForLog((l) => l['msg'] === 'peer link ready' && l['peer'] === me.id && l['transport'] === 'grpc');

    // The node's app sends to us; we get it as an Any in a DiscoveryResponse.
    const sent = await localRequest(node, 'POST', `/msg/greetings?to=${me.id}`, { hello: 'envoy' });
    assert.equal(sent.status, 202, JSON.stringify(sent.json));
    const res = await nextResponse(1);
    assert.equal(res.type_url, WEBPUSH);
    assert.equal(res.control_plane?.identifier, node.id);
    assert.equal(res.resources.length, 1);
    assert.equal(res.resources[0]!.type_url, WEBPUSH);
    const wire = webpushMessageType().toObject(webpushMessageType().decode(res.resources[0]!.value), { defaults: true }) as {
      id: string;
      from: string;
      to: string;
      body: Uint8Array;
      authorization: string;
    };
    assert.equal(wire.from, node.id);
    assert.equal(wire.to, me.id);
    assert.match(wire.authorization, /^vapid t=[\w-]+\.[\w-]+\.[\w-]+, k=[\w-]+$/);
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(me.privateScalar);
    const plaintext = JSON.parse(ece.decrypt(Buffer.from(wire.body), { version: 'aes128gcm', privateKey: ecdh, authSecret: me.auth }).toString('utf8')) as Record<string, unknown>;
    assert.equal(plaintext['id'], (sent.json as { id: string }).id);
    assert.equal(plaintext['id'], wire.id);
    assert.equal(plaintext['topic'], 'greetings');
    assert.deepEqual(plaintext['data'], { hello: 'envoy' });

    // ACK by nonce: the node counts it delivered over the link.
    call.write({ type_url: WEBPUSH, response_nonce: res.nonce, version_info: res.version_info });
    await waitFor(async () => {
      const peers = (await localRequest(node!, 'GET', '/peers')).json as { peers: Array<Record<string, unknown>> };
      return peers.peers.find((p) => p['id'] === me.id && p['connected'] === true)?.['sent'] === 1;
    });

    // A second message, NACKed with a reason: the node drops it and logs the reason (no_route or queue_full would be retried).
    const second = await localRequest(node, 'POST', `/msg/greetings?to=${me.id}`, { n: 2 });
    assert.equal(second.status, 202);
    const res2 = await nextResponse(2);
    call.write({ type_url: WEBPUSH, response_nonce: res2.nonce, version_info: res.version_info, error_detail: { code: 9, message: 'hop_limit' } });
    const refused = await node.waitForLog((l) => l['msg'] === 'message refused by destination' && l['msg_id'] === (second.json as { id: string }).id);
    assert.equal(refused['reason'], 'hop_limit');
    call.end();
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
