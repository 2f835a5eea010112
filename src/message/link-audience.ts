import type { NodeId } from '../identity/types.js';

/** The VAPID `aud` of a message between nodes: `pushmesh://<destination node ID>`. */
export function linkAudience(destination: NodeId): string {
  return `pushmesh://${destination}`;
}
