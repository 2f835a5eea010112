import type { NodeId } from '../../identity/types.js';
import type { PushHeaders } from './push-headers.js';
import type { SenderProofHeader } from './sender-header.js';

/** A push as it arrived on `POST /push/<node-id>`, after HTTP-level checks. */
export interface IncomingPush extends PushHeaders {
  to: NodeId;
  authorization: string | undefined;
  /** Values the VAPID `aud` may name: this node's own origins and link audience (never built from the request's Host). */
  audiences: string[];
  /** The `Pushmesh-Sender` proof, when the sender is a pushmesh node. */
  sender?: SenderProofHeader;
  body: Buffer;
}

/** Accepts a push for this node (the node's Inbox: verify, decrypt, hand to apps); throws typed errors. */
export type AcceptPush = (push: IncomingPush) => Promise<{ id: string; duplicate: boolean }>;
