import type { NodeId } from '../identity/node-id-syntax.js';

/** RFC 8030 §5.3 urgency values. */
export const URGENCIES = ['very-low', 'low', 'normal', 'high'] as const;
export type Urgency = (typeof URGENCIES)[number];

/**
 * A message's payload as the app gave it: a JSON value, UTF-8 text that is
 * not JSON, or opaque bytes.
 */
export type Payload =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; value: string }
  | { kind: 'bytes'; value: Uint8Array };

/** The plaintext message, as apps send and receive it. */
export interface Message {
  id: string;
  from: NodeId;
  /** Destination node ID; empty for local/broadcast. */
  to: NodeId | '';
  topic: string;
  /** Creation time, Unix milliseconds. */
  time: number;
  /** Time to live, seconds (RFC 8030 TTL). */
  ttl: number;
  urgency: Urgency;
  /** RFC 8030 Topic: replaces an undelivered message with the same key. */
  replace?: string;
  meta: Record<string, string>;
  data: Payload;
  /** The sender asked for a delivery receipt (carried encrypted, end to end). */
  receipt?: boolean;
  /** Relays the message came through, in order (received messages only; absent when it came directly). */
  path?: NodeId[];
  /**
   * A plain Web Push sender's VAPID key (base64url), for a message that
   * carried no sender proof: shown as an unverified sender, `from` is ''
   * then (docs/security.md).
   */
  unverifiedSender?: string;
}

/**
 * A message between nodes (protobuf `pushmesh.v1.WebpushMessage`): routing
 * fields in the clear, the content in an RFC 8291 `aes128gcm` body that
 * only the destination can open. See docs/wire-format.md.
 */
export interface WebpushMessage {
  /** Message ID (1–64 base64url characters); equals the encrypted plaintext's `id`. */
  id: string;
  /** Origin node ID; must be the node ID of the VAPID key in `authorization`. */
  from: NodeId;
  /** Destination node ID. */
  to: NodeId;
  /** Remaining time to live, seconds. */
  ttl: number;
  urgency: Urgency;
  /** RFC 8030 Topic (replace key); empty string for none. */
  replace: string;
  /** Creation time at the origin, Unix milliseconds. */
  time: number;
  /** Relays that forwarded the message, in order (the origin is not listed). */
  path: NodeId[];
  /** Jump hosts still to visit, in order. */
  via: NodeId[];
  /** Remaining hops. */
  hopLimit: number;
  /** The origin asks for a delivery receipt. */
  receipt: boolean;
  /** RFC 8292 `vapid t=…, k=…`, audience `pushmesh://<to>`. */
  authorization: string;
  /** RFC 8291 aes128gcm body (103–4096 bytes). */
  body: Uint8Array;
  /** Sender MAC (32 bytes) binding the content to origin and destination keys; absent over HTTPS. */
  senderMac?: Uint8Array;
}
