import type { NodeId } from '../identity/types.js';
import type { PushHeaders } from './push-headers.js';

/** A push as it arrived on `POST /push/<node-id>`, after HTTP-level checks. */
export interface IncomingPush extends PushHeaders {
  to: NodeId;
  authorization: string | undefined;
  /** Origins the VAPID `aud` may name: https:// + Host, and the card's endpoint origin. */
  audiences: string[];
  body: Buffer;
}

/** Accepts a push for this node (verify, decrypt, hand to apps); throws typed errors. */
export type AcceptPush = (push: IncomingPush) => Promise<{ id: string; duplicate: boolean }>;
