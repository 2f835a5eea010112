import type { Logger } from 'pino';
import { isPushmeshError } from '../errors/index.js';
import type { NodeId } from '../identity/types.js';
import { openMessage, type MessageReceiver } from '../message/open.js';
import type { Message } from '../message/types.js';
import { nackReasonForError } from '../proto/status.js';
import type { InboundMessage } from '../transport/types.js';

export interface LinkReceiverOptions {
  /** This node as a message destination: its ID, decrypter and VAPID verifier. */
  receiver: MessageReceiver;
  /** True if `key` (sender/id) was seen before; records it. */
  seen: (key: string) => boolean;
  /** Hands a verified, decrypted, new message to local apps. */
  deliver: (msg: Message, hop: NodeId) => void;
  /** Handles (and answers) a message for another node; without it such a message is NACKed `no_route`. */
  relay?: (m: InboundMessage) => Promise<void>;
  /** A message was refused (for metrics). */
  refused?: (reason: string, err: unknown) => void;
  logger: Logger;
}

/**
 * What a node does with a message that arrived on a link and is
 * addressed to it: open it (VAPID `aud` pushmesh://<this node>, `from` =
 * the token's key, decrypt, encrypted id = clear id), drop it if it is a
 * duplicate, hand it to local apps, and ACK — or NACK with the reason.
 * A message for another node goes to `relay` (mesh routing), or is
 * refused with `no_route` when the node does not relay.
 */
export function linkMessageHandler(o: LinkReceiverOptions): (m: InboundMessage) => Promise<void> {
  return async (m) => {
    if (m.wire.to !== o.receiver.id) {
      if (o.relay) return o.relay(m);
      o.refused?.('no_route', undefined);
      m.nack('no_route');
      return;
    }
    let msg: Message;
    try {
      msg = await openMessage(m.wire, o.receiver);
    } catch (err) {
      const reason = nackReasonForError(err) ?? 'bad_message';
      o.logger.info({ peer: m.link.peer.id, from: m.wire.from, msg_id: m.wire.id, reason, detail: isPushmeshError(err) ? err.message : String(err) }, 'refused a message from a link');
      o.refused?.(reason, err);
      m.nack(reason);
      return;
    }
    if (!o.seen(`${msg.from}/${msg.id}`)) o.deliver(msg, m.link.peer.id);
    m.ack();
  };
}
