/**
 * The gRPC listener grants a link's connection and stream a 1 MiB HTTP/2
 * receive window (Node's default is 64 KiB, which made a sender wait for
 * the receiver to finish its turn: docs/benchmarks.md "The lean path"),
 * seen from a raw HTTP/2 client over real TLS on 127.0.0.1; and a link
 * still carries a burst larger than the old window, in order.
 */
import { strict as assert } from 'node:assert';
import { connect, type ClientHttp2Session, type Settings } from 'node:http2';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { PeerAuthenticator } from '../../src/transport/auth/peer-authenticator.js';
import { GrpcDialer } from '../../src/transport/grpc/grpc-dialer.js';
import { GrpcListener } from '../../src/transport/grpc/grpc-listener.js';
import { RECEIVE_WINDOW } from '../../src/transport/grpc/grpc-options.js';
import { linkLimits } from '../../src/transport/link-limits.js';
import { decodeWebpushMessage } from '../../src/proto/index.js';
import type { Link } from '../../src/transport/types.js';
import { answerEach } from './compliance.js';
import { sealedBatch } from './messages.js';
import { makeTlsNode } from './tls-nodes.js';

const logger = pino({ level: 'silent' });

async function listen(): Promise<{ listener: GrpcListener; node: Awaited<ReturnType<typeof makeTlsNode>>; accepted: Promise<Link> }> {
  const node = await makeTlsNode();
  let accept!: (l: Link) => void;
  const accepted = new Promise<Link>((r) => (accept = r));
  const listener = await GrpcListener.start({
    host: '127.0.0.1',
    port: 0,
    auth: new PeerAuthenticator({ selfId: node.id, tls: node.tls }),
    self: { id: node.id, card: () => node.card, version: 'test' },
    limits: linkLimits(),
    logger,
    onLink: (l) => accept(l),
  });
  return { listener, node, accepted };
}

describe('gRPC link receive windows', () => {
  it('the listener advertises a 1 MiB stream window and opens the connection window to 1 MiB', async (t) => {
    const { listener } = await listen();
    t.after(() => listener.close());
    const session: ClientHttp2Session = connect(`https://127.0.0.1:${listener.address!.port}`, { rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    t.after(() => session.destroy());
    session.on('error', () => undefined);
    const settings = new Promise<Settings>((resolve) => {
      const check = (s: Settings): void => {
        if (s.initialWindowSize === RECEIVE_WINDOW) resolve(s);
      };
      session.on('remoteSettings', check);
    });
    const guard = setTimeout(() => session.destroy(new Error('no SETTINGS with the window within 10 s')), 10_000);
    t.after(() => clearTimeout(guard));
    assert.equal((await settings).initialWindowSize, RECEIVE_WINDOW);
    // The connection window is opened by a WINDOW_UPDATE on stream 0: the client sees it as the remote window it may fill.
    while ((session.state.remoteWindowSize ?? 0) < RECEIVE_WINDOW) await new Promise((r) => setImmediate(r));
    assert.ok((session.state.remoteWindowSize ?? 0) >= RECEIVE_WINDOW, `connection window ${session.state.remoteWindowSize}`);
    assert.equal(RECEIVE_WINDOW, 1 << 20);
  });

  it('a link carries a burst of ≈ 10 times the old window at once, every message answered, in order', async (t) => {
    const { listener, node: b, accepted } = await listen();
    t.after(() => listener.close());
    const a = await makeTlsNode();
    const dialer = new GrpcDialer({ auth: new PeerAuthenticator({ selfId: a.id, tls: a.tls }), self: { id: a.id, card: () => a.card, version: 'test' }, limits: linkLimits(), logger });
    const port = listener.address!.port;
    const link = await dialer.dial({ transport: 'grpc', host: '127.0.0.1', port, expectedId: b.id, url: `grpcs://${b.id}@127.0.0.1:${port}` });
    t.after(() => link.close());
    const inbound = await accepted;
    const N = 600; // ≈ 1 KiB each: about 10 times the old 64 KiB window, written at once
    const batch = await sealedBatch(a, b, N);
    const ids = batch.map((bytes) => decodeWebpushMessage(bytes).id);
    const outcomes = Promise.all(batch.map((bytes) => link.send(bytes)));
    const got = await answerEach(inbound, N, (m) => m.ack());
    assert.ok((await outcomes).every((o) => o.ok));
    assert.deepEqual(
      got.map((m) => m.wire.id),
      ids,
      'every message once, in order',
    );
  });
});
