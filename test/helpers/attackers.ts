/**
 * The attacker's tools of the security tests (test/security, the /ws
 * replay test): what a relay or a Web Push endpoint that an honest node
 * talks to can see, and a way to watch what reaches a victim's apps.
 */
import { createServer, type Server } from 'node:https';
import { pino } from 'pino';
import type { Message, WebpushMessage } from '../../src/message/types.js';
import type { PushmeshNode } from '../../src/node/pushmesh-node.js';
import { PeerAuthenticator } from '../../src/transport/auth/peer-authenticator.js';
import { GrpcDialer } from '../../src/transport/grpc/grpc-dialer.js';
import { linkLimits } from '../../src/transport/link-limits.js';
import type { Link } from '../../src/transport/types.js';
import type { TlsNode } from '../transport/tls-nodes.js';

const logger = pino({ level: 'silent' });

/** What a node handed its apps and protocol handlers (its local bus), with a way to wait for one. */
export function watchBus(node: PushmeshNode) {
  const got: Message[] = [];
  const waiting: Array<{ match: (m: Message) => boolean; resolve: (m: Message) => void }> = [];
  node.bus.on('published', (ev) => {
    got.push(ev.message);
    for (const w of [...waiting]) if (w.match(ev.message)) waiting.splice(waiting.indexOf(w), 1) && w.resolve(ev.message);
  });
  return {
    got,
    next(match: (m: Message) => boolean, ms = 30_000): Promise<Message> {
      const seen = got.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no such message reached the apps in time')), ms);
        waiting.push({ match, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
  };
}

/** A gRPC link from the attacker's own node key `r` to `node` (mutual TLS, as any stranger may). */
export async function dialAs(r: TlsNode, node: PushmeshNode): Promise<Link> {
  const dialer = new GrpcDialer({ auth: new PeerAuthenticator({ selfId: r.id, tls: r.tls }), self: { id: r.id, card: () => r.card, version: 'attacker' }, limits: linkLimits(), logger });
  return dialer.dial({ transport: 'grpc', host: '127.0.0.1', port: node.addresses.grpc!.port, expectedId: node.id, url: `grpcs://${node.id}@127.0.0.1` });
}

/** The attacker's relay side of a link from X (X may use it as a jump host): keeps, and ACKs, every message X hands it. */
export function captureFrom(l: Link): { next(): Promise<WebpushMessage> } {
  const captured: WebpushMessage[] = [];
  const waiting: Array<() => void> = [];
  void (async () => {
    for await (const m of l.incoming) {
      captured.push(m.wire);
      m.ack();
      waiting.splice(0).forEach((w) => w());
    }
  })();
  return {
    async next() {
      while (captured.length === 0) await new Promise<void>((res) => waiting.push(res));
      return captured.shift()!;
    },
  };
}

/** The attacker's Web Push endpoint: a real HTTPS server with M's node certificate, keeping the headers of every push. */
export async function startCapturingEndpoint(m: TlsNode) {
  const pushes: Array<Record<string, string | string[] | undefined>> = [];
  let first!: () => void;
  const gotOne = new Promise<void>((r) => (first = r));
  const server: Server = createServer({ key: m.tls.key, cert: m.tls.cert }, (req, res) => {
    req.resume();
    req.on('end', () => {
      pushes.push(req.headers);
      first();
      res.writeHead(201, { location: `/push/${m.id}/m/1` }).end();
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as { port: number }).port;
  return { origin: `https://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, pushes, gotOne, close: () => new Promise<void>((res) => server.close(() => res())) };
}
