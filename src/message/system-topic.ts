/** Topics under this prefix are the node's own protocol (requests, receipts, config): apps never see or send them. */
export const SYSTEM_TOPIC_PREFIX = 'pushmesh.';

export function isSystemTopic(topic: string): boolean {
  return topic.startsWith(SYSTEM_TOPIC_PREFIX);
}
