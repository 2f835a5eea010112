import { addressToken } from '../config-address.js';

/**
 * NATS subjects pushmesh uses (docs/backends.md, "NATS"):
 * - `<prefix>.ce.<topic>`: plaintext events, the topic's dots kept as
 *   subject tokens (so `orders.*` subscriptions work);
 * - `<prefix>.sealed.<recipient node id>`: encrypted events;
 * - `<prefix>.config.<namespace>.<name>`: signed configs;
 * - `<prefix>.fabric.node.<node id>`: WebpushMessages relays forward to
 *   whichever relay carries that node (the scale-out fabric).
 */
export class NatsSubjects {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  plaintext(topic: string): string {
    return `${this.prefix}.ce.${topicTokens(topic)}`;
  }

  sealed(recipient: string): string {
    return `${this.prefix}.sealed.${recipient}`;
  }

  /** Every plaintext event. */
  get allPlaintext(): string {
    return `${this.prefix}.ce.>`;
  }

  /** Every sealed event. */
  get allSealed(): string {
    return `${this.prefix}.sealed.>`;
  }

  config(namespace: string, name: string): string {
    return `${this.prefix}.config.${addressToken(namespace)}.${addressToken(name)}`;
  }

  get allConfig(): string {
    return `${this.prefix}.config.>`;
  }

  fabricNode(node: string): string {
    return `${this.prefix}.fabric.node.${node}`;
  }

  get allFabric(): string {
    return `${this.prefix}.fabric.node.>`;
  }
}

/**
 * A topic as subject tokens: split at dots; an empty token, and any
 * character NATS reserves (whitespace, `*`, `>`) or that is not printable
 * ASCII, becomes `_`.
 */
export function topicTokens(topic: string): string {
  return topic
    .split('.')
    .map((t) => (t === '' ? '_' : t.replace(/[^\x21-\x7e]|[*>]/gu, '_')))
    .join('.');
}
