import { pino } from 'pino';
import { PeerAuthenticator } from '../../src/transport/auth/peer-authenticator.js';
import { linkLimits } from '../../src/transport/link-limits.js';
import type { Link } from '../../src/transport/types.js';
import { WsDialer } from '../../src/transport/ws/ws-dialer.js';
import { runLinkCompliance } from './compliance.js';
import { makeTlsNode } from './tls-nodes.js';
import { startWsNode } from './ws-node.js';

const logger = pino({ level: 'silent' });

runLinkCompliance(
  'WebSocket (pushmesh.ads.v1) over mutual TLS',
  async (overrides) => {
    const limits = linkLimits(overrides);
    const [aNode, bNode] = await Promise.all([makeTlsNode(), makeTlsNode()]);
    let accepted!: (l: Link) => void;
    const inbound = new Promise<Link>((r) => (accepted = r));
    const server = await startWsNode(bNode, limits, (l) => accepted(l));
    const dialer = new WsDialer({ auth: new PeerAuthenticator({ selfId: aNode.id, tls: aNode.tls }), self: { id: aNode.id, card: () => aNode.card, version: 'test' }, limits, logger });
    const a = await dialer.dial({ transport: 'wss', host: '127.0.0.1', port: server.port, expectedId: bNode.id, url: `wss://${bNode.id}@127.0.0.1:${server.port}/ws` });
    const b = await inbound;
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
  { sessions: true, cards: true, clearIds: true, orderedFlows: true },
);
