import type { TransportKind } from './transport-kind.js';
import type { NodeId } from '../identity/types.js';

/** A connected or known peer, as `GET /peers` lists it. */
export interface PeerInfo {
  id: NodeId;
  transport: TransportKind;
  endpoint: string;
  connected: boolean;
  since: number | null;
  queued: number;
  sent: number;
  received: number;
  /** Links only: who dialed, the address seen, and link counters. */
  direction?: 'inbound' | 'outbound';
  address?: string;
  nacked?: number;
  refused?: number;
  inFlight?: number;
}
