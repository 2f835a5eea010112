import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import {
  binaryAttributes,
  inboundFromEvent,
  parseBinaryEvent,
  parseStructuredEvent,
  type InboundPlain,
  type ParsedEvent,
} from '../cloudevents/index.js';
import { DecryptError, PushmeshError, VapidError } from '../errors/index.js';
import { DEFAULT_TTL_SECONDS, linkAudience, validateMessage, type Message, type WebpushMessage } from '../message/index.js';
import type { NodeCore } from '../core/index.js';
import { BackendMetrics } from './metrics.js';
import type { IngestResult, RawInboundEvent } from './types.js';

export interface IngressOptions {
  core: NodeCore;
  logger: Logger;
  /** Largest event accepted, bytes. */
  maxEventBytes: number;
  /** Largest TTL given to a message, seconds. */
  maxTtl: number;
  /**
   * A sealed event's VAPID token is checked as of the message's creation
   * time, but never more than this long ago (ms; default 24 h), so a
   * durable backend can deliver what was stored while this node was down.
   */
  replayWindowMs?: number;
  now?: () => number;
}

/**
 * Events from outside (NATS, Pub/Sub, POST /ce) into the node. Plaintext
 * events become messages from this node on topic = type, for its local
 * apps (and, through the bridge, for matching rules). Sealed events for
 * this node go through the node's inbox like any message between nodes.
 * Duplicates (by message ID) are dropped.
 */
export class CloudEventIngress {
  readonly #core: NodeCore;
  readonly #log: Logger;
  readonly #opts: Required<Omit<IngressOptions, 'core' | 'logger'>>;
  readonly #seen = new LRUCache<string, true>({ max: 100_000 });
  readonly #metrics: BackendMetrics;
  /** Message ID → backend it came in from, for the messages delivered most recently. */
  readonly #origins = new LRUCache<string, string>({ max: 10_000 });

  constructor(opts: IngressOptions) {
    this.#core = opts.core;
    this.#log = opts.logger;
    this.#opts = { maxEventBytes: opts.maxEventBytes, maxTtl: opts.maxTtl, replayWindowMs: opts.replayWindowMs ?? 24 * 3600 * 1000, now: opts.now ?? Date.now };
    this.#metrics = new BackendMetrics(opts.core.metrics.registry);
  }

  /** Remembers an ID as seen (an event this node published itself), so it is not taken back in. */
  markSeen(id: string): void {
    this.#seen.set(id, true);
  }

  /** The backend a message delivered by this ingress came from (recent messages only). */
  originOf(id: string): string | undefined {
    return this.#origins.get(id);
  }

  /** Parses, validates and takes in one event as it arrived from a backend. */
  async ingest(raw: RawInboundEvent, backend: string): Promise<IngestResult> {
    let ev: ParsedEvent;
    try {
      const limits = { maxBytes: this.#opts.maxEventBytes };
      ev =
        raw.content === 'structured'
          ? parseStructuredEvent(raw.body, limits)
          : parseBinaryEvent(binaryAttributes(raw.headers, { percentEncoded: raw.percentEncoded }), raw.data, limits);
    } catch (err) {
      return this.#result(backend, refusal(err));
    }
    return this.ingestEvent(ev, backend);
  }

  /** Takes in one event the SDK already validated. */
  async ingestEvent(ev: ParsedEvent, backend: string): Promise<IngestResult> {
    let result: IngestResult;
    try {
      const inbound = inboundFromEvent(ev);
      result = inbound.kind === 'sealed' ? await this.#sealed(inbound.wire, backend) : await this.#plain(inbound, backend);
    } catch (err) {
      if (!(err instanceof PushmeshError)) this.#log.error({ backend, err }, 'unexpected error while taking in an event');
      result = refusal(err);
    }
    return this.#result(backend, result);
  }

  #result(backend: string, result: IngestResult): IngestResult {
    this.#metrics.count(backend, 'in', result.kind);
    if (result.kind === 'refused') {
      this.#core.metrics.dropped.inc({ reason: 'bad_event' });
      this.#log.info({ backend, reason: result.reason }, 'event refused');
    } else if (result.kind === 'ignored') {
      this.#log.debug({ backend, reason: result.reason }, 'event ignored');
    }
    return result;
  }

  async #plain(ev: InboundPlain, backend: string): Promise<IngestResult> {
    if (this.#seen.has(ev.id)) return { kind: 'duplicate', id: ev.id };
    const now = this.#opts.now();
    if (ev.ttl !== null && ev.ttl > 0 && ev.time !== null && ev.time + ev.ttl * 1000 < now) {
      this.#core.metrics.dropped.inc({ reason: 'expired' });
      return { kind: 'ignored', reason: 'expired' };
    }
    const ttl = Math.min(ev.ttl ?? DEFAULT_TTL_SECONDS, this.#opts.maxTtl);
    const msg: Message = { id: ev.id, from: this.#core.identity.id, to: '', topic: ev.topic, time: ev.time ?? now, ttl, urgency: ev.urgency, meta: ev.meta, data: ev.data };
    if (ev.replace !== undefined) msg.replace = ev.replace;
    validateMessage(msg);
    this.#deliverLocally(msg, backend);
    return { kind: 'accepted', id: msg.id };
  }

  /**
   * A sealed message for this node goes through the node's inbox like any
   * other (VAPID admission as of its creation time, at most
   * `replayWindowMs` back; the sender MAC; access lists; the per-sender
   * replay window; decryption). Whoever may write to the subject or topic
   * cannot make it say another node sent it.
   */
  async #sealed(wire: WebpushMessage, backend: string): Promise<IngestResult> {
    const self = this.#core.identity.id;
    if (wire.to !== self) return { kind: 'ignored', reason: 'sealed for another node' };
    if (this.#seen.has(wire.id)) return { kind: 'duplicate', id: wire.id };
    const now = this.#opts.now();
    if (wire.ttl > 0 && wire.time + wire.ttl * 1000 < now) {
      this.#core.metrics.dropped.inc({ reason: 'expired' });
      return { kind: 'ignored', reason: 'expired' };
    }
    // Noted before the bus sees it: the bridge never sends a message back to the backend it came from.
    this.#origins.set(wire.id, backend);
    const r = await this.#core.receive({
      wire,
      via: 'backend',
      audiences: [linkAudience(self)],
      vapidAt: Math.min(now, Math.max(wire.time, now - this.#opts.replayWindowMs)),
    });
    switch (r.kind) {
      case 'delivered':
        this.#seen.set(wire.id, true);
        return { kind: 'accepted', id: r.id };
      case 'duplicate':
        return { kind: 'duplicate', id: r.id };
      case 'refused':
        this.#origins.delete(wire.id);
        if (r.error instanceof DecryptError) {
          this.#core.metrics.cryptoErrors.inc({ kind: 'decrypt' });
          return { kind: 'refused', reason: 'sealed message does not decrypt', code: r.error.code };
        }
        if (r.error instanceof VapidError) {
          this.#core.metrics.cryptoErrors.inc({ kind: 'vapid' });
          return { kind: 'refused', reason: `sealed message has a bad VAPID authorization: ${r.error.detail}`, code: r.error.code };
        }
        return { kind: 'refused', reason: `sealed message refused: ${r.error.message}`, code: r.error.code };
    }
  }

  #deliverLocally(msg: Message, backend: string): void {
    this.#seen.set(msg.id, true);
    this.#origins.set(msg.id, backend);
    this.#core.metrics.messagesIn.inc({ via: 'backend' });
    this.#core.bus.publish(msg);
    this.#core.metrics.messagesOut.inc({ via: 'local' });
  }
}

function refusal(err: unknown): IngestResult {
  if (err instanceof PushmeshError) return { kind: 'refused', reason: err.message, code: err.code };
  return { kind: 'refused', reason: 'event could not be read' };
}
