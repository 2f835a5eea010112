import { pino } from 'pino';
import { NodeMetrics } from '../../src/metrics/node-metrics.js';
import { PushClient } from '../../src/push/push-client.js';
import { buildPushServer } from '../../src/push/push-server.js';
import { HttpsInbox } from '../../src/transport/https/https-inbox.js';
import { HttpsPushLink } from '../../src/transport/https/https-link.js';
import { linkLimits } from '../../src/transport/link-limits.js';
import { VapidVerifier } from '../../src/webpush/index.js';
import { runLinkCompliance } from './compliance.js';
import { makeTlsNode, type TlsNode } from './tls-nodes.js';

const logger = pino({ level: 'silent' });

/** A node's real Web Push server, its inbox, and its card pointing at the port it got. */
async function startPushNode(node: TlsNode) {
  const inbox = new HttpsInbox({ verifier: new VapidVerifier() });
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
  return { inbox, close: () => app.close() };
}

runLinkCompliance(
  'HTTPS Web Push (RFC 8030)',
  async (overrides) => {
    const limits = linkLimits(overrides);
    const [aNode, bNode] = await Promise.all([makeTlsNode(), makeTlsNode()]);
    const [aServer, bServer] = await Promise.all([startPushNode(aNode), startPushNode(bNode)]);
    const client = new PushClient();
    const a = new HttpsPushLink({ card: bNode.card, client, self: aNode, signer: aNode.signer, limits, logger, inbox: aServer.inbox });
    const b = new HttpsPushLink({ card: aNode.card, client, self: bNode, signer: bNode.signer, limits, logger, inbox: bServer.inbox, direction: 'inbound' });
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
