import type { Logger } from 'pino';
import type { Card, NodeId } from '../identity/types.js';
import type { MisbehaviorKind } from './ads/ads-link.js';
import type { PeerAuthenticator } from './auth/peer-authenticator.js';
import type { LinkLimits } from './link-limits.js';
import type { Link, LinkHandler } from './types.js';

/** What every ADS listener (gRPC, WebSocket) needs, whatever carries its links. */
export interface AdsListenerOptions {
  auth: PeerAuthenticator;
  /** This node: ID, card (read when a client asks for it), version. */
  self: { id: NodeId; card: () => Card | undefined; version: string };
  limits: LinkLimits;
  logger: Logger;
  onLink: LinkHandler;
  onMisbehavior?: (kind: MisbehaviorKind, link: Link) => void;
  /** A peer refused before its link started (no certificate, wrong key, policy). */
  onRefused?: (reason: 'unauthenticated' | 'forbidden', detail: string) => void;
}
