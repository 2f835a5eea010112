import { badMessage } from '../message/bad-message.js';
import type { Urgency } from '../message/types.js';

/** pushmesh.v1.Urgency numbers. */
const TO_PROTO: Readonly<Record<Urgency, number>> = { 'very-low': 1, low: 2, normal: 3, high: 4 };
const FROM_PROTO: readonly Urgency[] = ['normal', 'very-low', 'low', 'normal', 'high']; // 0 = UNSPECIFIED → normal

export function urgencyToProto(urgency: Urgency): number {
  return TO_PROTO[urgency];
}

/** URGENCY_UNSPECIFIED reads as "normal" (RFC 8030's default); unknown numbers are refused. */
export function urgencyFromProto(value: unknown): Urgency {
  const urgency = typeof value === 'number' ? FROM_PROTO[value] : undefined;
  if (urgency === undefined) throw badMessage(`urgency ${String(value)} is not a pushmesh.v1.Urgency value`);
  return urgency;
}
