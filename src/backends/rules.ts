import type { Card } from '../identity/types.js';
import { TopicPattern } from './topic-pattern.js';
import type { BridgeMode } from './types.js';

/** A bridge rule as configured (file `bridges:` or `--bridge`), before it is resolved. */
export interface BridgeRuleConfig {
  /** Glob over app topics (topic-pattern.ts). */
  topics: string;
  /** Adapter name (`nats`, `pubsub`, a webhook sink's name) or a webhook URL. */
  to: string;
  mode: BridgeMode;
  /** Encrypted mode: the node ID whose card the events are sealed to; default this node. */
  recipient?: string;
  /** Where on the backend (NATS subject, Pub/Sub topic), with `{topic}` and `{recipient}` filled in; default the adapter's. */
  destination?: string;
}

/** A rule ready to use: pattern compiled, recipient card found. */
export interface BridgeRule {
  topics: TopicPattern;
  /** The adapter's name. */
  to: string;
  mode: BridgeMode;
  /** Encrypted mode only. */
  recipient?: Card;
  destination?: string;
}

/** `{topic}` and `{recipient}` of a rule's destination template. */
export function fillDestination(template: string, topic: string, recipient: string): string {
  return template.replaceAll('{topic}', topic).replaceAll('{recipient}', recipient);
}
