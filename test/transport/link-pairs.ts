/**
 * How the compliance suite opens a real link pair over each transport,
 * keyed by transport name (`Transport.name`). compliance.test.ts runs the
 * suite for every transport a node can be given (the registry's, and the
 * memory transport) and fails for one that has no entry here. The pairs
 * are made through each transport's plug-in (its dialer, listener,
 * pusher), as a node makes them.
 */
import { pino } from 'pino';
import { NodeMetrics } from '../../src/metrics/node-metrics.js';
import { buildPushServer } from '../../src/transport/https/push-server.js';
import { PeerAuthenticator } from '../../src/transport/auth/peer-authenticator.js';
import { grpcTransport } from '../../src/transport/grpc/grpc-transport.js';
import { HttpsInbox } from '../../src/transport/https/https-inbox.js';
import { HttpsPushLink } from '../../src/transport/https/https-link.js';
import { httpsPushTransport } from '../../src/transport/https/https-transport.js';
import { PushClient } from '../../src/transport/https/push-client.js';
import { linkLimits, type LinkLimits } from '../../src/transport/link-limits.js';
import { MemoryNetwork } from '../../src/transport/memory/memory-network.js';
import { memoryTransport } from '../../src/transport/memory/memory-transport.js';
import type { Transport } from '../../src/transport/transport.js';
import type { Link, TransportKind } from '../../src/transport/types.js';
import { WsDialer } from '../../src/transport/ws/ws-dialer.js';
import { wsTransport } from '../../src/transport/ws/ws-transport.js';
import { makeNode, type TestNode } from '../message/nodes.js';
import type { Capabilities, LinkPairSetup } from './compliance.js';
import { makeTlsNode, type TlsNode } from './tls-nodes.js';
import { startHttpsNode, startWsNode } from './ws-node.js';

const logger = pino({ level: 'silent' });

export interface ComplianceEntry {
  name: string;
  setup: LinkPairSetup;
  caps: Capabilities;
}

const SESSION_LINK: Capabilities = { sessions: true, cards: true, clearIds: true, orderedFlows: true };

/** The common options a node gives a transport, for one test node. */
function commonFor(node: TestNode & { tls?: TlsNode['tls'] }, limits: LinkLimits) {
  return {
    auth: new PeerAuthenticator({ selfId: node.id, tls: node.tls ?? { key: '', cert: '' } }),
    self: { id: node.id, card: () => node.card, version: 'test' },
    limits,
    logger,
  };
}

/** A transport that dials and listens: B listens at `place`, A dials `url(listener)`; resolves both ends. */
async function dialListenPair(transport: Transport, aNode: TestNode, bNode: TestNode, limits: LinkLimits, place: Parameters<NonNullable<Transport['listen']>>[0], url: (port: number) => string) {
  let accepted!: (l: Link) => void;
  const inbound = new Promise<Link>((r) => (accepted = r));
  const listener = await transport.listen!(place, { ...commonFor(bNode, limits), onLink: (l) => accepted(l) });
  const dialer = transport.dialer!(commonFor(aNode, limits));
  const text = url(listener.address?.port ?? 0);
  const u = new URL(text);
  const address = transport.address!(u);
  if ('error' in address) throw new Error(address.error);
  const a = await dialer.dial({ transport: transport.name, ...address, expectedId: bNode.id, url: text });
  return { a, b: await inbound, listener };
}

/**
 * A node's real Web Push server and the HTTPS transport's receiving half
 * as a node runs them (HttpsInbox), handing pushes to the link that is set
 * in `to` (where a node hands them to its inbox), and its card pointing at
 * the port it got.
 */
async function startPushNode(node: TlsNode) {
  const to: { link?: HttpsPushLink } = {};
  const inbox = new HttpsInbox({ onPush: (p) => (to.link ? to.link.deliverPush(p) : p.nack('no_route')) });
  let origin = '';
  const app = buildPushServer({
    logger,
    metrics: new NodeMetrics({ queueDepth: () => 0, subscribers: () => 0 }),
    tls: { key: node.tls.key, cert: node.tls.cert },
    isLocalNode: (id) => id === node.id,
    accept: inbox.accept,
    origins: () => [origin],
    maxTtl: 2_419_200,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  origin = `https://127.0.0.1:${port}`;
  node.card = { ...node.card, endpoint: `https://127.0.0.1:${port}/push/${node.id}` };
  return { to, close: () => app.close() };
}

export const LINK_PAIRS: Partial<Record<TransportKind, ComplianceEntry[]>> = {
  grpc: [
    {
      name: 'gRPC ADS over mutual TLS',
      caps: SESSION_LINK,
      setup: async (overrides) => {
        const limits = linkLimits(overrides);
        const [aNode, bNode] = await Promise.all([makeTlsNode(), makeTlsNode()]);
        const { a, b, listener } = await dialListenPair(grpcTransport(), aNode, bNode, limits, { on: 'socket', host: '127.0.0.1', port: 0 }, (port) => `grpcs://${bNode.id}@127.0.0.1:${port}`);
        return {
          a,
          b,
          aNode,
          bNode,
          teardown: async () => {
            a.close();
            await listener.close();
          },
        };
      },
    },
  ],
  wss: (['certificate', 'challenge'] as const).map((clientAuth) => ({
    name: clientAuth === 'certificate' ? 'WebSocket (pushmesh.ads.v2) over mutual TLS' : 'WebSocket (pushmesh.ads.v2), dialer admitted by challenge (tls-exporter)',
    caps: SESSION_LINK,
    setup: async (overrides) => {
      const limits = linkLimits(overrides);
      const [aNode, bNode] = await Promise.all([makeTlsNode(), makeTlsNode()]);
      if (clientAuth === 'certificate') {
        // Through the plug-in: its listener on a node's HTTPS server, its dialer.
        const https = await startHttpsNode(bNode);
        const { a, b, listener } = await dialListenPair(wsTransport(), aNode, bNode, limits, { on: 'https-server', server: https.server }, () => `wss://${bNode.id}@127.0.0.1:${https.port}/ws`);
        if (b.peer.proof !== 'tls' || a.peer.proof !== 'tls') throw new Error('a certificate dialer is proved by TLS');
        return {
          a,
          b,
          aNode,
          bNode,
          teardown: async () => {
            a.close();
            await listener.close();
            await https.app.close();
          },
        };
      }
      let accepted!: (l: Link) => void;
      const inbound = new Promise<Link>((r) => (accepted = r));
      const server = await startWsNode(bNode, limits, (l) => accepted(l));
      const dialer = new WsDialer({ ...commonFor(aNode, limits), clientAuth });
      const a = await dialer.dial({ transport: 'wss', host: '127.0.0.1', port: server.port, expectedId: bNode.id, url: `wss://${bNode.id}@127.0.0.1:${server.port}/ws` });
      const b = await inbound;
      // The listener knows how the dialer proved its key; the dialer always checked the server's certificate.
      if (b.peer.proof !== 'challenge' || a.peer.proof !== 'tls') throw new Error('a challenge dialer is proved by its answer, the listener by TLS');
      return {
        a,
        b,
        aNode,
        bNode,
        teardown: async () => {
          a.close();
          await server.close();
        },
      };
    },
  })),
  https: [
    {
      name: 'HTTPS Web Push (RFC 8030)',
      caps: { sessions: false, cards: false, clearIds: false, orderedFlows: false },
      setup: async (overrides) => {
        const limits = linkLimits(overrides);
        const [aNode, bNode] = await Promise.all([makeTlsNode(), makeTlsNode()]);
        const [aServer, bServer] = await Promise.all([startPushNode(aNode), startPushNode(bNode)]);
        // A pushes to B as a node does (the transport's pusher); B's half that receives A's pushes answers them.
        const pusher = httpsPushTransport().pusher!({ self: aNode, signer: aNode.signer, limits, logger });
        const a = pusher.link(bNode.card) as HttpsPushLink;
        const client = new PushClient();
        const b = new HttpsPushLink({ card: aNode.card, client, self: bNode, signer: bNode.signer, limits, logger, direction: 'inbound' });
        aServer.to.link = a;
        bServer.to.link = b;
        return {
          a,
          b,
          aNode,
          bNode,
          teardown: async () => {
            a.close();
            b.close();
            pusher.close();
            client.close();
            await Promise.all([aServer.close(), bServer.close()]);
          },
        };
      },
    },
  ],
  memory: [
    {
      name: 'memory (in-process network)',
      caps: SESSION_LINK,
      setup: async (overrides) => {
        const limits = linkLimits(overrides);
        const aNode = makeNode();
        const bNode = makeNode();
        const net = new MemoryNetwork();
        const { a, b, listener } = await dialListenPair(memoryTransport(net, { address: 'b' }), aNode, bNode, limits, { on: 'in-process' }, () => `memory://${bNode.id}@b`);
        return {
          a,
          b,
          aNode,
          bNode,
          teardown: async () => {
            a.close();
            await listener.close();
          },
        };
      },
    },
  ],
};
