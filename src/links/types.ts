import type { NodeId } from '../identity/types.js';
import type { TransportKind } from '../transport/types.js';

/** One live peer link, as GET /peers lists it. */
export interface LinkInfo {
  id: NodeId;
  transport: TransportKind;
  direction: 'inbound' | 'outbound';
  /** The peer's address as seen on the connection. */
  address: string;
  /** The peer URL dialed, for outbound links made from --peer. */
  url: string | null;
  /** Unix ms when the link came up. */
  since: number;
  sent: number;
  acked: number;
  nacked: number;
  received: number;
  refused: number;
  inFlight: number;
  queued: number;
}
