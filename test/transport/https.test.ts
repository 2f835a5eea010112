import { pino } from 'pino';
import { NodeMetrics } from '../../src/metrics/node-metrics.js';
import { PushClient } from '../../src/push/push-client.js';
import { buildPushServer } from '../../src/push/push-server.js';
import { HttpsInbox } from '../../src/transport/https/https-inbox.js';
import { HttpsPushLink } from '../../src/transport/https/https-link.js';
import { linkLimits } from '../../src/transport/link-limits.js';
import { runLinkCompliance } from './compliance.js';
import { makeTlsNode, type TlsNode } from './tls-nodes.js';

const logger = pino({ level: 'silent' });

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

runLinkCompliance(
  'HTTPS Web Push (RFC 8030)',
  async (overrides) => {
    const limits = linkLimits(overrides);
    const [aNode, bNode] = await Promise.all([makeTlsNode(), makeTlsNode()]);
    const [aServer, bServer] = await Promise.all([startPushNode(aNode), startPushNode(bNode)]);
    const client = new PushClient();
    const a = new HttpsPushLink({ card: bNode.card, client, self: aNode, signer: aNode.signer, limits, logger });
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
        client.close();
        await Promise.all([aServer.close(), bServer.close()]);
      },
    };
  },
  { sessions: false, cards: false, clearIds: false, orderedFlows: false },
);
