import type { Inbound } from '../../core/inbound.js';
import { newMessageId } from '../../message/message-id.js';
import type { WebpushMessage } from '../../message/types.js';
import type { IncomingPush } from './push-types.js';

/**
 * A push from `POST /push/<id>` as an inbound message: Web Push names no
 * sender, so `from` is left for the VAPID key to fill; a `Pushmesh-Sender`
 * header brings the clear id and time its sender MAC covers. Without one
 * it is a plain Web Push sender's (an id is made up, arrival is its time).
 */
export function inboundFromPush(push: IncomingPush, now = Date.now()): Inbound {
  const wire: WebpushMessage = {
    id: push.sender?.id ?? newMessageId(),
    from: '',
    to: push.to,
    ttl: push.ttl,
    urgency: push.urgency,
    replace: push.topic ?? '',
    time: push.sender?.time ?? now,
    path: [],
    via: [],
    hopLimit: 0,
    receipt: false,
    authorization: push.authorization ?? '',
    body: push.body,
  };
  if (push.sender) wire.senderMac = push.sender.mac;
  return { wire, via: 'https', audiences: push.audiences, allowUnverified: true };
}
