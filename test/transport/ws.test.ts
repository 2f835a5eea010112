import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { PeerAuthenticator } from '../../src/transport/auth/peer-authenticator.js';
import { linkLimits } from '../../src/transport/link-limits.js';
import type { Link } from '../../src/transport/types.js';
import { WsDialer } from '../../src/transport/ws/ws-dialer.js';
import { runLinkCompliance } from './compliance.js';
import { makeTlsNode } from './tls-nodes.js';
import { startWsNode } from './ws-node.js';

const logger = pino({ level: 'silent' });

for (const clientAuth of ['certificate', 'challenge'] as const) {
  runLinkCompliance(
    clientAuth === 'certificate' ? 'WebSocket (pushmesh.ads.v2) over mutual TLS' : 'WebSocket (pushmesh.ads.v2), dialer admitted by challenge (tls-exporter)',
    async (overrides) => {
      const limits = linkLimits(overrides);
      const [aNode, bNode] = await Promise.all([makeTlsNode(), makeTlsNode()]);
      let accepted!: (l: Link) => void;
      const inbound = new Promise<Link>((r) => (accepted = r));
      const server = await startWsNode(bNode, limits, (l) => accepted(l));
      const dialer = new WsDialer({
        auth: new PeerAuthenticator({ selfId: aNode.id, tls: aNode.tls }),
        self: { id: aNode.id, card: () => aNode.card, version: 'test' },
        limits,
        logger,
        clientAuth,
      });
      const a = await dialer.dial({ transport: 'wss', host: '127.0.0.1', port: server.port, expectedId: bNode.id, url: `wss://${bNode.id}@127.0.0.1:${server.port}/ws` });
      const b = await inbound;
      // The listener knows how the dialer proved its key; the dialer always checked the server's certificate.
      assert.equal(b.peer.proof, clientAuth === 'certificate' ? 'tls' : 'challenge');
      assert.equal(a.peer.proof, 'tls');
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
}
