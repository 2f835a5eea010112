import type { Server } from 'node:http';
import { pino } from 'pino';
import { NodeMetrics } from '../../src/metrics/node-metrics.js';
import { buildPushServer, pushServerTls } from '../../src/transport/https/push-server.js';
import { PeerAuthenticator } from '../../src/transport/auth/peer-authenticator.js';
import { linkLimits } from '../../src/transport/link-limits.js';
import type { Link } from '../../src/transport/types.js';
import { WsListener } from '../../src/transport/ws/ws-listener.js';
import type { TlsNode } from './tls-nodes.js';

const logger = pino({ level: 'silent' });

/** A node's real HTTPS server (the Fastify Web Push server, its TLS options as in a node), asking for client certificates, listening on a port of 127.0.0.1. */
export async function startHttpsNode(node: TlsNode, sessionTickets = false) {
  const app = buildPushServer({
    logger,
    metrics: new NodeMetrics({ queueDepth: () => 0, subscribers: () => 0 }),
    tls: pushServerTls({ key: node.tls.key, cert: node.tls.cert, sessionTickets }),
    isLocalNode: (id) => id === node.id,
    accept: async () => {
      throw new Error('not used');
    },
    origins: () => ['https://127.0.0.1'],
    maxTtl: 2_419_200,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, server: app.server as Server, port: (app.server.address() as { port: number }).port };
}

/** startHttpsNode with the peer WebSocket on it. */
export async function startWsNode(node: TlsNode, limits = linkLimits(), onLink: (l: Link) => void = () => undefined, sessionTickets = false) {
  const { app } = await startHttpsNode(node, sessionTickets);
  const listener = new WsListener(app.server as Server, {
    auth: new PeerAuthenticator({ selfId: node.id, tls: node.tls }),
    self: { id: node.id, card: () => node.card, version: 'test' },
    limits,
    logger,
    onLink,
  });
  const port = (app.server.address() as { port: number }).port;
  return {
    port,
    listener,
    close: async () => {
      await listener.close();
      await app.close();
    },
  };
}

