/**
 * What the transport benchmarks need: node identities with certificates,
 * 1 KiB sealed messages, and the raw grpc-js / ws baselines (same TLS, no
 * pushmesh protocol) measured beside the links.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import grpc from '@grpc/grpc-js';
import { WebSocket, WebSocketServer } from 'ws';
import { createSelfSignedCertificate } from '../src/identity/certificate.js';
import { nodeIdFromPublicKey } from '../src/identity/node-id.js';
import type { Card } from '../src/identity/types.js';
import { newMessageId, sealMessage, SenderMacKeys } from '../src/message/index.js';
import { encodeWebpushMessage } from '../src/proto/index.js';
import type { NodeTls } from '../src/transport/auth/peer-authenticator.js';
import { toBase64Url } from '../src/util/base64url.js';
import { VapidSigner } from '../src/webpush/index.js';

export interface BenchNode {
  id: string;
  card: Card;
  tls: NodeTls;
  signer: VapidSigner;
  mac: SenderMacKeys;
}

export async function benchNode(): Promise<BenchNode> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = privateKey.export({ format: 'jwk' });
  const publicKey = Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  const id = nodeIdFromPublicKey(publicKey);
  const key = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const cert = await createSelfSignedCertificate({ privateKey, publicKey, privateScalar: Buffer.from(jwk.d!, 'base64url'), pkcs8Pem: key }, id);
  return {
    id,
    card: { id, endpoint: `https://127.0.0.1:9/push/${id}`, keys: { p256dh: toBase64Url(publicKey), auth: toBase64Url(randomBytes(16)) } },
    tls: { key, cert },
    signer: new VapidSigner({ privateKey, publicKey }),
    mac: new SenderMacKeys(Buffer.from(jwk.d!, 'base64url'), publicKey),
  };
}

/** A real sealed message from `from` to `to` whose serialized WebpushMessage is `size` bytes (± a few). */
export async function sealedOfSize(from: BenchNode, to: BenchNode, size: number): Promise<Buffer> {
  let pad = Math.max(0, size - 700);
  for (let i = 0; i < 20; i++) {
    const wire = encodeWebpushMessage(
      await sealMessage(
        { id: newMessageId(), from: from.id, to: to.id, topic: 'bench', time: Date.now(), ttl: 600, urgency: 'normal', meta: {}, data: { kind: 'text', value: 'x'.repeat(pad) } },
        to.card,
        from.signer,
        { senderMac: from.mac },
      ),
    );
    if (Math.abs(wire.length - size) <= 4) return wire;
    pad = Math.max(0, pad + size - wire.length);
  }
  throw new Error(`cannot make a ${size}-byte message`);
}

const identity = (b: Buffer): Buffer => b;
const RAW_SERVICE: grpc.ServiceDefinition = {
  Stream: { path: '/bench.Raw/Stream', requestStream: true, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
};

/** A raw grpc-js bidi stream over TLS: `onData` sees each message the server gets; the server can echo. */
export async function rawGrpcPair(tls: NodeTls, echo: boolean): Promise<{ call: grpc.ClientDuplexStream<Buffer, Buffer>; onServerData: (f: () => void) => void; close(): void }> {
  const server = new grpc.Server();
  let hook: () => void = () => undefined;
  server.addService(RAW_SERVICE, {
    Stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', (b: Buffer) => {
        hook();
        if (echo) call.write(b);
      });
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(tls.key), cert_chain: Buffer.from(tls.cert) }], false), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createSsl(null, null, null, { rejectUnauthorized: false }));
  const call = client.makeBidiStreamRequest<Buffer, Buffer>('/bench.Raw/Stream', identity, identity, new grpc.Metadata());
  call.on('error', () => undefined);
  return {
    call,
    onServerData: (f) => (hook = f),
    close: () => {
      call.cancel();
      client.close();
      server.forceShutdown();
    },
  };
}

/** A raw WebSocket over TLS (binary messages), the server optionally echoing. */
export async function rawWsPair(tls: NodeTls, echo: boolean): Promise<{ ws: WebSocket; onServerData: (f: () => void) => void; close(): Promise<void> }> {
  const https: HttpsServer = createHttpsServer({ key: tls.key, cert: tls.cert });
  const wss = new WebSocketServer({ server: https, perMessageDeflate: false });
  let hook: () => void = () => undefined;
  wss.on('connection', (s) => {
    s.on('message', (data: Buffer) => {
      hook();
      if (echo) s.send(data);
    });
  });
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
  const ws = new WebSocket(`wss://127.0.0.1:${(https.address() as AddressInfo).port}/`, { rejectUnauthorized: false, perMessageDeflate: false });
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  return {
    ws,
    onServerData: (f) => (hook = f),
    close: async () => {
      ws.terminate();
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((r) => https.close(() => r()));
    },
  };
}
