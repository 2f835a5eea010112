import type { NodeId } from '../identity/types.js';

/** The replay check the inbox needs (ReplayGuard has it). */
export interface ReplayCheck {
  check(sender: string, id: string, time: number): { ok: true } | { ok: false; reason: 'duplicate' | 'stale' | 'future' };
  /** Takes back a check's record: the message was not taken after all (optional). */
  retract?(sender: string, id: string, time: number): void;
}

/** Who may send to this node's apps (AccessPolicy has it). */
export interface SenderPolicy {
  check(peer: { id: NodeId; caSigned: boolean; direction: 'inbound' | 'outbound' }): { ok: true } | { ok: false; message: string };
}
