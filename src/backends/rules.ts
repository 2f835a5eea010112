import type { Card } from '../identity/types.js';
import { TopicPattern } from './topic-pattern.js';
import type { BridgeMode } from '../config/backends.js';

export type { BridgeRuleConfig } from '../config/backends.js';

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
