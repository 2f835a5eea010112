import { pino } from 'pino';
import { Inbox } from '../../src/inbox/inbox.js';
import { linkAudience } from '../../src/message/index.js';
import type { Message, WebpushMessage } from '../../src/message/types.js';
import type { TestReceiver } from './nodes.js';

const logger = pino({ level: 'silent' });

/**
 * Opens `wire` the way a node does, through a real Inbox (as if it came
 * on a link): resolves with the message its apps would get, or rejects
 * with the typed error it was refused for. No replay state: every call
 * is a first arrival.
 */
export async function openMessage(wire: WebpushMessage, receiver: TestReceiver): Promise<Message> {
  const delivered: Message[] = [];
  const inbox = new Inbox({
    self: receiver.id,
    decrypter: receiver.decrypter,
    verifier: receiver.verifier,
    senderMac: receiver.senderMac,
    replay: { check: () => ({ ok: true }) },
    deliver: (m) => void delivered.push(m),
    logger,
  });
  const r = await inbox.accept({ wire, via: 'link', audiences: [linkAudience(receiver.id)] });
  if (r.kind === 'refused') throw r.error;
  if (r.kind === 'duplicate') throw new Error('duplicate');
  return delivered[0]!;
}
