import type { Pusher, Transport } from '../transport.js';
import { HttpsPushLink } from './https-link.js';
import { PushClient } from './push-client.js';

/**
 * HTTPS Web Push (RFC 8030): pushes to a card's `https:` endpoint, one
 * POST per message. It is not dialed from `--peer` and listens on nothing
 * of its own: pushes to this node arrive on the node's HTTPS server
 * (`POST /push/<id>`, push-server.ts) and go to its inbox
 * (HttpsInbox).
 */
export function httpsPushTransport(options: { timeoutMs?: number } = {}): Transport {
  return {
    name: 'https',
    schemes: [],
    pushSchemes: ['https:'],
    pusher: (o): Pusher => {
      const client = new PushClient(options);
      return {
        link: (card) => new HttpsPushLink({ card, client, self: o.self, signer: o.signer, limits: o.limits, logger: o.logger }),
        close: () => client.close(),
      };
    },
  };
}
