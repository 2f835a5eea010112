/**
 * NACK reasons of the link (docs/transports.md "ACK, NACK and reasons"):
 * the node's own src/proto/nack.ts (pure, shared), not a copy.
 */
export { NACK_CODES, NACK_REASONS, nackReasonForError, nackReasonOf, nackStatus, type NackReason } from '../../proto/nack.js';
