import type { CloudEventV1 } from 'cloudevents';
import type { Logger } from 'pino';
import type { BridgeMode } from '../config/backends.js';
import type { NodeId } from '../identity/types.js';
import type { ConfigChannel } from '../signed-config/channel.js';

/**
 * The contract between pushmesh and a backend (NATS, Google Pub/Sub, an
 * HTTP webhook sink, …). An adapter moves CloudEvents; it knows nothing
 * of messages, keys or rules: the bridge (src/backends/bridge.ts) maps
 * messages to events and back, and decides what goes where.
 */
export interface BackendAdapter {
  /** Unique among the node's adapters: `nats`, `pubsub`, or a webhook sink's name. */
  readonly name: string;
  /** How the bridge hands events to publish(): concurrency and retries. */
  readonly delivery: DeliveryPolicy;
  /**
   * Connects, creates what is missing (streams, topics, subscriptions)
   * and starts handing inbound events to `ctx.ingest`. Resolves when
   * ready; rejects (ERR_BACKEND) when the backend cannot be used.
   */
  start(ctx: AdapterContext): Promise<void>;
  /**
   * Publishes one event. Resolves when the backend accepted it (a
   * JetStream PubAck, a Pub/Sub message ID, a 2xx answer). Rejects with
   * a BackendError whose `retryable` says whether to try again.
   */
  publish(out: OutboundEvent, signal: AbortSignal): Promise<void>;
  /** The backend's pipe for signed configuration, if it has one. */
  configChannel?(): ConfigChannel;
  /** Stops taking inbound events, finishes acks in flight, closes. */
  drain(): Promise<void>;
  /** Stops now. */
  close(): Promise<void>;
}

/** One event for a backend. */
export interface OutboundEvent {
  event: CloudEventV1<unknown>;
  /** `plaintext`: the message as it is; `encrypted`: a sealed WebpushMessage (docs/backends.md). */
  mode: BridgeMode;
  /** The app's topic (plaintext) or '' (encrypted: the topic is secret). */
  topic: string;
  /** Plaintext: the message's destination node or ''. Encrypted: the recipient node. */
  recipient: NodeId | '';
  /** Where on the backend, when the rule names it (a NATS subject, a Pub/Sub topic); else the adapter's default. */
  destination?: string;
}

/**
 * An event as it arrived from a backend, before any parsing: a JSON
 * event format body (structured mode), or headers / message attributes
 * and data (binary mode; `ce-` values percent-encoded on HTTP and NATS).
 */
export type RawInboundEvent =
  | { content: 'structured'; body: Uint8Array }
  | { content: 'binary'; headers: Iterable<readonly [string, string | readonly string[] | undefined]>; percentEncoded: boolean; data: Uint8Array };

/**
 * What became of one inbound event. Adapters acknowledge (NATS ack,
 * Pub/Sub ack) on everything but `retry`, which they negatively
 * acknowledge so the backend delivers it again later.
 */
export type IngestResult =
  | { kind: 'accepted'; id: string }
  | { kind: 'duplicate'; id: string }
  | { kind: 'ignored'; reason: string }
  | { kind: 'refused'; reason: string; code?: string }
  | { kind: 'retry'; reason: string };

/** What the bridge gives an adapter when it starts. */
export interface AdapterContext {
  readonly nodeId: NodeId;
  readonly logger: Logger;
  /** Hands one inbound event to the mesh; resolves once the mesh took it (or said why not). */
  ingest(raw: RawInboundEvent, backend: string): Promise<IngestResult>;
}

/** `encrypted` unless a rule says `plaintext` explicitly. */
export type { BridgeMode } from '../config/backends.js';

/** How events are handed to one adapter. */
export interface DeliveryPolicy {
  /** Events published at once. */
  concurrency: number;
  /** Events waiting for this adapter before new ones are dropped (counted). */
  queueLimit: number;
  /** Attempts per event, the first included; 1 = no retry. */
  maxAttempts: number;
  /** Delay before the first retry, ms; doubled per retry, with ±20 % jitter. */
  initialBackoffMs: number;
  /** Largest delay between two attempts, ms. */
  maxBackoffMs: number;
}
