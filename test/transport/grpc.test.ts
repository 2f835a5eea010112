import { pino } from 'pino';
import { PeerAuthenticator } from '../../src/transport/auth/peer-authenticator.js';
import { GrpcDialer } from '../../src/transport/grpc/grpc-dialer.js';
import { GrpcListener } from '../../src/transport/grpc/grpc-listener.js';
import { linkLimits } from '../../src/transport/link-limits.js';
import type { Link } from '../../src/transport/types.js';
import { runLinkCompliance } from './compliance.js';
import { makeTlsNode } from './tls-nodes.js';

const logger = pino({ level: 'silent' });

runLinkCompliance(
  'gRPC ADS over mutual TLS',
  async (overrides) => {
    const limits = linkLimits(overrides);
    const [aNode, bNode] = await Promise.all([makeTlsNode(), makeTlsNode()]);
    let accepted!: (l: Link) => void;
    const inbound = new Promise<Link>((r) => (accepted = r));
    const listener = await GrpcListener.start({
      host: '127.0.0.1',
      port: 0,
      auth: new PeerAuthenticator({ selfId: bNode.id, tls: bNode.tls }),
      self: { id: bNode.id, card: () => bNode.card, version: 'test' },
      limits,
      logger,
      onLink: (l) => accepted(l),
    });
    const dialer = new GrpcDialer({ auth: new PeerAuthenticator({ selfId: aNode.id, tls: aNode.tls }), self: { id: aNode.id, card: () => aNode.card, version: 'test' }, limits, logger });
    const port = listener.address!.port;
    const a = await dialer.dial({ transport: 'grpc', host: '127.0.0.1', port, expectedId: bNode.id, url: `grpcs://${bNode.id}@127.0.0.1:${port}` });
    const b = await inbound;
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
  { sessions: true, cards: true, clearIds: true, orderedFlows: true },
);
