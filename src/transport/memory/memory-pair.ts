import type { Logger } from 'pino';
import type { Card, NodeId } from '../../identity/types.js';
import { AdsClientLink } from '../ads/ads-client-link.js';
import type { MisbehaviorKind } from '../types.js';
import { AdsServerLink } from '../ads/ads-server-link.js';
import { linkLimits, type LinkLimits } from '../link-limits.js';
import type { Link } from '../types.js';
import { MemoryChannel } from './memory-channel.js';

export interface MemoryEnd {
  id: NodeId;
  card?: Card;
}

export interface MemoryPairOptions {
  limits?: Partial<LinkLimits>;
  logger: Logger;
  version?: string;
  onMisbehavior?: (kind: MisbehaviorKind, link: Link) => void;
}

/**
 * Two nodes in one process joined by an in-memory link: `client` dialed,
 * `server` accepted. The links run the same ADS protocol as over gRPC or
 * a WebSocket, on an in-memory frame pipe; resolves once both handshakes
 * are done. For unit tests and benchmarks of what runs above links.
 */
export async function memoryLinkPair(client: MemoryEnd, server: MemoryEnd, options: MemoryPairOptions): Promise<{ client: Link; server: Link }> {
  const [a, b] = MemoryChannel.pair();
  const limits = linkLimits(options.limits);
  const version = options.version ?? 'memory';
  const common = { transport: 'memory' as const, limits, logger: options.logger, ...(options.onMisbehavior ? { onMisbehavior: options.onMisbehavior } : {}) };
  const c = new AdsClientLink({ ...common, channel: a, self: { id: client.id, card: client.card, version }, peer: { id: server.id, proof: 'memory' } });
  const s = new AdsServerLink({ ...common, channel: b, self: { id: server.id, card: server.card, version }, peer: { id: client.id, proof: 'memory' } });
  s.start();
  c.start();
  await Promise.all([c.ready, s.ready]);
  return { client: c, server: s };
}
