import { messageToCloudEvent, sealedToCloudEvent } from '../cloudevents/index.js';
import type { Identity } from '../identity/types.js';
import { SenderMacKeys, sealMessage, type Message } from '../message/index.js';
import { VapidSigner } from '../webpush/index.js';
import { fillDestination, type BridgeRule } from './rules.js';
import type { OutboundEvent } from './types.js';

/**
 * Messages → events for backends. Plaintext: the message itself as a
 * CloudEvent. Encrypted: the message sealed (RFC 8291, VAPID-signed by
 * this node) to the rule's recipient card, as a `pushmesh.sealed` event;
 * this node is then its `from`, proved by the sender MAC.
 */
export class Egress {
  readonly #identity: Identity;
  readonly #signer: VapidSigner;
  readonly #senderMac: SenderMacKeys;

  constructor(identity: Identity) {
    this.#identity = identity;
    this.#signer = new VapidSigner({ privateKey: identity.privateKey, publicKey: identity.publicKey, subject: `https://pushmesh.invalid/node/${identity.id}` });
    this.#senderMac = new SenderMacKeys(identity.privateScalar, identity.publicKey);
  }

  async toEvent(msg: Message, rule: BridgeRule): Promise<OutboundEvent> {
    if (rule.mode === 'plaintext') {
      const out: OutboundEvent = { event: messageToCloudEvent(msg), mode: 'plaintext', topic: msg.topic, recipient: msg.to };
      if (rule.destination) out.destination = fillDestination(rule.destination, msg.topic, msg.to);
      return out;
    }
    const card = rule.recipient!;
    // The sender MAC proves this node wrote it: receivers open sealed events only with one (docs/security.md).
    const sealed = await sealMessage({ ...msg, from: this.#identity.id, to: card.id }, card, this.#signer, { senderMac: this.#senderMac });
    const out: OutboundEvent = { event: sealedToCloudEvent(sealed), mode: 'encrypted', topic: '', recipient: card.id };
    // The topic is secret in encrypted mode: only {recipient} is filled in.
    if (rule.destination) out.destination = fillDestination(rule.destination, '', card.id);
    return out;
  }
}
