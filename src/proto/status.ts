import { anyFromRaw, anyToRaw } from './any.js';
import { decodeMapped, encodeRaw, int, str, subList, type RawObject } from './raw.js';
import type { Status } from './types.js';

// The NACK reasons, their codes and the reason for an error live in the pure nack.ts (shared with src/browser/).
export { NACK_CODES, NACK_REASONS, nackReasonForError, nackReasonOf, nackStatus, type NackReason } from './nack.js';

export function encodeStatus(status: Status): Buffer {
  return encodeRaw('google.rpc.Status', statusToRaw(status));
}

/** Decodes a serialized google.rpc.Status; throws ERR_BAD_MESSAGE only. */
export function decodeStatus(data: Uint8Array): Status {
  return decodeMapped('google.rpc.Status', data, (raw) => statusFromRaw(raw, 'Status'));
}

/** @internal */
export function statusFromRaw(raw: RawObject, field: string): Status {
  return {
    code: int(raw.code, `${field}.code`),
    message: str(raw.message, `${field}.message`),
    details: subList(raw.details, `${field}.details`).map((d) => anyFromRaw(d, `${field}.details`)),
  };
}

/** @internal */
export function statusToRaw(status: Partial<Status>): RawObject {
  return { code: status.code ?? 0, message: status.message ?? '', details: (status.details ?? []).map(anyToRaw) };
}
