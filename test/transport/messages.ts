import { newMessageId, sealMessage, type Message } from '../../src/message/index.js';
import { encodeWebpushMessage } from '../../src/proto/index.js';
import type { TestNode } from '../message/nodes.js';

/** A real sealed message from `from` to `to` (encrypted to its card, VAPID signed), serialized. */
export async function sealedBytes(from: TestNode, to: TestNode, data: unknown = { n: 0 }, overrides: Partial<Message> = {}): Promise<Buffer> {
  const msg: Message = {
    id: newMessageId(),
    from: from.id,
    to: to.id,
    topic: 'test/topic',
    time: Date.now(),
    ttl: 600,
    urgency: 'normal',
    meta: {},
    data: { kind: 'json', value: data },
    ...overrides,
  };
  return encodeWebpushMessage(await sealMessage(msg, to.card, from.signer, { senderMac: from.mac }));
}

/** `count` sealed messages, carrying {n: 0..count-1}. */
export async function sealedBatch(from: TestNode, to: TestNode, count: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let n = 0; n < count; n++) out.push(await sealedBytes(from, to, { n }));
  return out;
}
