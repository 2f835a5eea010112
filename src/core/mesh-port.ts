import type { NodeId } from '../identity/types.js';
import type { SendRequest, SendResult } from './send.js';

/** What request/response needs of a node: who it is and a way to send. */
export interface MeshPort {
  readonly id: NodeId;
  send(req: SendRequest): Promise<SendResult>;
}
