import type { NodeId } from '../identity/types.js';
import type { Payload, Urgency } from '../message/types.js';

/** What an app asks for with `POST /msg/<topic>`. */
export interface SendRequest {
  topic: string;
  to: NodeId | '';
  data: Payload;
  ttl: number;
  urgency: Urgency;
  replace?: string;
  meta?: Record<string, string>;
  via?: NodeId[];
  receipt?: boolean;
}

export interface SendResult {
  id: string;
  /** `local` when delivered to local subscribers, `queued` when on its way to another node. */
  status: 'local' | 'queued';
}
