import type { Payload, Urgency, WebpushMessage } from '../message/types.js';

/**
 * The data of an event as it arrived: nothing, bytes (binary content
 * mode, or `data_base64` of the JSON format) or a JSON value (`data` of
 * the JSON format).
 */
export type EventData = { form: 'none' } | { form: 'bytes'; bytes: Uint8Array } | { form: 'json'; value: unknown };

/**
 * An event from outside after the SDK validated its context attributes:
 * `attributes` holds every attribute except data, with string values as
 * given (extensions may also be numbers or booleans in the JSON format).
 */
export interface ParsedEvent {
  attributes: Record<string, unknown> & { specversion: string; id: string; source: string; type: string };
  data: EventData;
}

/** What an outside event means for the mesh (see docs/backends.md, "Inbound"). */
export type InboundEvent = InboundPlain | InboundSealed;

/** A plaintext event: becomes a message on `topic` (= the event's type) for this node's apps. */
export interface InboundPlain {
  kind: 'plain';
  /** The message ID: the event's id when it is a valid message ID, else one derived from source and id. */
  id: string;
  topic: string;
  /** The event's time (Unix ms), or null when it had none. */
  time: number | null;
  /** `pushmeshttl`, or null when absent. */
  ttl: number | null;
  urgency: Urgency;
  replace?: string;
  meta: Record<string, string>;
  data: Payload;
}

/** An encrypted event: a sealed WebpushMessage that only the node named in `to` can open. */
export interface InboundSealed {
  kind: 'sealed';
  wire: WebpushMessage;
}
