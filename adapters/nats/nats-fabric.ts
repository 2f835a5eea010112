import { jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { BackendError } from '../../src/errors/backend-error.js';
import { PushmeshError } from '../../src/errors/index.js';
import { isNodeId } from '../../src/identity/node-id.js';
import type { NodeId } from '../../src/identity/types.js';
import type { WebpushMessage } from '../../src/message/types.js';
import { decodeWebpushMessage } from '../../src/proto/index.js';
import type { Fabric } from '../../src/routing/fabric.js';
import { ensureStream } from './streams.js';
import { ensureFabricConsumer, fabricConsumerConfig, fabricConsumerName, fabricStreamConfig, type FabricResourceSettings } from './fabric-resources.js';
import { NatsSubjects } from './subjects.js';

/** Header with the Unix ms after which a forwarded message is dropped. */
export const FABRIC_EXPIRES_HEADER = 'Pushmesh-Expires';

/** Why the fabric dropped a message instead of delivering it. */
export type FabricDropReason = 'expired' | 'bad_message';

export interface FabricStats {
  /** forward() calls the stream stored. */
  forwarded: number;
  /** forward() calls the stream recognised as a retry (stored once already). */
  duplicates: number;
  /** Messages deliver() took. */
  delivered: number;
  /** deliver() answers of false (the message is handed out again later). */
  refused: number;
  expired: number;
  /** Messages on a node subject that are not a valid WebpushMessage (published by something else). */
  badMessages: number;
}

export interface NatsFabricOptions {
  servers: string[];
  /** First token(s) of the subjects. Default `pushmesh`. */
  subjectPrefix?: string;
  /** Default `PUSHMESH_FABRIC`. */
  stream?: string;
  /** The node's maxTtl, seconds: how long the stream keeps a message at most. */
  maxAgeSeconds: number;
  /** Default 10 000. */
  maxPerNode?: number;
  /** Copies JetStream keeps of the stream when this relay creates it (3 on a 3-server cluster). Default 1. */
  replicas?: number;
  logger: Logger;
  /** Default 120 000 (2 min). */
  duplicateWindowMs?: number;
  /**
   * Default 5 000. A relay that dies holding a message, or a message whose
   * ack the server lost in an outage and that no reconnect repeated,
   * blocks that node this long; a relay still delivering says `working`
   * every third of it.
   */
  ackWaitMs?: number;
  /** Default 1 (strict order across relays); see docs/backends.md, "Scale-out". */
  maxAckPending?: number;
  /**
   * How long one pull request for a node lives, ms; default 5000. The
   * server sends heartbeats every half of it, and two missed heartbeats
   * make the relay pull again (and repeat its recent acks): this bounds
   * the stall when a cluster moves a consumer to a new leader, which
   * forgets the pulls waiting at the old one. Each attached node costs one
   * pull per `pullExpiresMs` and two heartbeats while idle.
   */
  pullExpiresMs?: number;
  /** First redelivery delay after deliver() answered false, ms; doubles per attempt. Default 1000. */
  retryDelayMs?: number;
  /** Default 30 000. */
  maxRetryDelayMs?: number;
  /** ms; default 5000. */
  connectTimeoutMs?: number;
  /** ms to wait for the PubAck; default 5000. */
  publishTimeoutMs?: number;
  /** Told about each dropped message (the node counts them in pushmesh_messages_dropped_total). */
  onDropped?: (reason: FabricDropReason, dest: NodeId) => void;
  /** Connection name shown by the server. */
  name?: string;
  now?: () => number;
}

interface Attached {
  readonly dest: NodeId;
  /** The current pull subscription (replaced when the consumer gets a new leader). */
  messages: ConsumerMessages;
  readonly loop: Promise<void>;
  stopping: boolean;
  /** Set when `messages` was stopped to pull afresh (a new consumer leader), not to detach. */
  repull: boolean;
  /** Ack subjects of the last messages acked (newest last), sent again after a reconnect. */
  readonly recentAcks: string[];
}

/** How many recent acks a relay repeats per node after a reconnect (the server may have lost that many). */
const REACKS = 16;

/** After a reconnect the acks are repeated at these delays, ms (a cluster may still be electing the consumer's leader at first). */
const REACK_DELAYS_MS = [0, 1000, 3000];

/** The payload of a JetStream ack. */
const ACK = new TextEncoder().encode('+ACK');

/**
 * The scale-out fabric on NATS JetStream (docs/backends.md, "Scale-out").
 * One stream holds messages per node subject `<p>.fabric.node.<id>`; each
 * node has one durable consumer, shared by every relay, that whichever
 * relay the node is attached to reads. Nothing here coordinates relays
 * with each other: JetStream's stream, dedupe and consumer acks do.
 */
export class NatsFabric implements Fabric {
  readonly name = 'nats';
  readonly subjects: NatsSubjects;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #res: FabricResourceSettings;
  readonly #opts: NatsFabricOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #attached = new Set<Attached>();
  readonly #reackTimers = new Set<NodeJS.Timeout>();
  readonly #stats: FabricStats = { forwarded: 0, duplicates: 0, delivered: 0, refused: 0, expired: 0, badMessages: 0 };
  #closed = false;

  private constructor(nc: NatsConnection, res: FabricResourceSettings, subjects: NatsSubjects, opts: NatsFabricOptions) {
    this.#nc = nc;
    this.#js = jetstream(nc);
    this.#res = res;
    this.subjects = subjects;
    this.#opts = opts;
    this.#log = opts.logger.child({ fabric: 'nats' });
    this.#now = opts.now ?? Date.now;
    void this.#watch();
    const prefix = `$JS.EVENT.ADVISORY.CONSUMER.LEADER_ELECTED.${res.stream}.`;
    nc.subscribe(`${prefix}*`, { callback: (_err, m) => this.#onLeaderElected(m.subject.slice(prefix.length)) });
  }

  /**
   * After a reconnect, acks may have been lost: sent into a dying
   * connection, or taken by a server that was killed before it wrote them
   * down (a restarted server still counts that message as pending and
   * would hand it out again only after ack_wait, holding up every message
   * behind it, max_ack_pending being 1). So every attached node's recent
   * acks are sent again; for a message the server already has as acked
   * that is a no-op. (docs/backends.md, "After a NATS outage".)
   */
  async #watch(): Promise<void> {
    try {
      for await (const s of this.#nc.status()) {
        if (s.type === 'disconnect') this.#log.warn({ server: s.server }, 'fabric: NATS connection lost');
        if (s.type !== 'reconnect') continue;
        this.#log.info({ server: s.server }, 'fabric: NATS connection back');
        for (const delay of REACK_DELAYS_MS) {
          const t = setTimeout(() => {
            this.#reackTimers.delete(t);
            this.#reack();
          }, delay);
          this.#reackTimers.add(t);
        }
      }
    } catch {
      // the status iterator ends with the connection
    }
  }

  #reack(atts: Iterable<Attached> = this.#attached): void {
    if (this.#closed || this.#nc.isClosed()) return;
    for (const att of atts) for (const subject of att.recentAcks) settle(() => this.#nc.publish(subject, ACK));
  }

  /** Connects and makes sure the stream exists. Throws BackendError (not retryable) when NATS or JetStream is missing. */
  static async open(opts: NatsFabricOptions): Promise<NatsFabric> {
    const subjects = new NatsSubjects(opts.subjectPrefix ?? 'pushmesh');
    const res: FabricResourceSettings = {
      stream: opts.stream ?? 'PUSHMESH_FABRIC',
      subjects: subjects.allFabric,
      maxAgeSeconds: Math.max(1, opts.maxAgeSeconds),
      maxPerNode: opts.maxPerNode ?? 10_000,
      duplicateWindowMs: opts.duplicateWindowMs ?? 120_000,
      ackWaitMs: opts.ackWaitMs ?? 5_000,
      maxAckPending: opts.maxAckPending ?? 1,
      replicas: opts.replicas ?? 1,
    };
    let nc: NatsConnection;
    try {
      nc = await connect({ servers: opts.servers, name: opts.name ?? 'pushmesh-fabric', timeout: opts.connectTimeoutMs ?? 5000, maxReconnectAttempts: -1, reconnectTimeWait: 1000 });
    } catch (err) {
      throw new BackendError(`cannot connect to NATS at ${opts.servers.join(', ')}: ${(err as Error).message}`, { retryable: false, cause: err });
    }
    try {
      const jsm = await jetstreamManager(nc);
      await ensureStream(jsm, fabricStreamConfig(res));
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw new BackendError(`cannot set up the fabric stream ${res.stream} (is JetStream on? nats-server -js): ${(err as Error).message}`, { retryable: false, cause: err });
    }
    return new NatsFabric(nc, res, subjects, opts);
  }

  /** The connection (tests look at the server through it). */
  get connection(): NatsConnection {
    return this.#nc;
  }

  stats(): FabricStats {
    return { ...this.#stats };
  }

  async forward(dest: NodeId, wire: Uint8Array, opts: { ttlSeconds: number; signal?: AbortSignal }): Promise<void> {
    checkNode(dest);
    opts.signal?.throwIfAborted();
    if (this.#closed || this.#nc.isClosed()) throw new BackendError('the fabric is closed', { retryable: true });
    let msg: WebpushMessage;
    try {
      msg = decodeWebpushMessage(wire);
    } catch (err) {
      throw new PushmeshError('ERR_BAD_MESSAGE', `not a WebpushMessage: ${(err as Error).message}`, { cause: err });
    }
    const now = this.#now();
    const expires = Math.min(messageExpiry(msg), now + Math.max(0, opts.ttlSeconds) * 1000);
    if (expires < now) throw new PushmeshError('ERR_BAD_MESSAGE', `message ${msg.id} expired before it was forwarded`);
    const h = natsHeaders();
    h.set(FABRIC_EXPIRES_HEADER, String(expires));
    const subject = this.subjects.fabricNode(dest);
    try {
      const ack = await this.#js.publish(subject, wire, { msgID: `${msg.from}/${msg.id}`, headers: h, timeout: this.#opts.publishTimeoutMs ?? 5000 });
      if (ack.duplicate) this.#stats.duplicates++;
      else this.#stats.forwarded++;
    } catch (err) {
      throw new BackendError(`fabric publish to ${subject} failed: ${(err as Error).message}`, { retryable: true, cause: err });
    }
  }

  async attach(dest: NodeId, deliver: (wire: Uint8Array) => Promise<boolean>): Promise<() => Promise<void>> {
    checkNode(dest);
    if (this.#closed || this.#nc.isClosed()) throw new BackendError('the fabric is closed', { retryable: true });
    let messages: ConsumerMessages;
    try {
      const jsm = await jetstreamManager(this.#nc);
      await ensureFabricConsumer(jsm, this.#res.stream, fabricConsumerConfig(this.#res, dest, this.subjects.fabricNode(dest)));
      messages = await this.#consume(dest);
    } catch (err) {
      throw new BackendError(`cannot attach ${dest} to the fabric: ${(err as Error).message}`, { retryable: true, cause: err });
    }
    const att: Attached = { dest, messages, loop: Promise.resolve(), stopping: false, repull: false, recentAcks: [] };
    this.#attached.add(att);
    (att as { loop: Promise<void> }).loop = this.#read(att, deliver);
    this.#log.debug({ dest }, 'attached to the fabric');
    let detached: Promise<void> | null = null;
    return () => (detached ??= this.#detach(att));
  }

  /** A pull subscription on `dest`'s consumer. */
  async #consume(dest: NodeId): Promise<ConsumerMessages> {
    const consumer = await this.#js.consumers.get(this.#res.stream, fabricConsumerName(dest));
    // JetStream hands out at most max_ack_pending at a time whatever the pull asks for; a larger pull just means fewer pull requests.
    return consumer.consume({ max_messages: Math.max(16, this.#res.maxAckPending), expires: Math.max(1000, this.#opts.pullExpiresMs ?? 5000) });
  }

  async #read(att: Attached, deliver: (wire: Uint8Array) => Promise<boolean>): Promise<void> {
    for (;;) {
      const messages = att.messages;
      void this.#watchPulls(att, messages);
      try {
        for await (const m of messages) {
          if (att.stopping) {
            // Not ours to deliver any more: straight back for the next relay.
            settle(() => m.nak());
            continue;
          }
          await this.#handle(att, m, deliver);
        }
      } catch (err) {
        if (!att.stopping && !att.repull && !this.#closed) this.#log.error({ dest: att.dest, reason: (err as Error).message }, 'reading from the fabric stopped');
      }
      if (att.stopping || this.#closed || !att.repull) return;
      // A new leader of the node's consumer: pull from it afresh (the old pull died with the old leader).
      att.repull = false;
      for (let wait = 250; ; wait = Math.min(wait * 2, 5000)) {
        if (att.stopping || this.#closed) return;
        try {
          att.messages = await this.#consume(att.dest);
          break;
        } catch (err) {
          this.#log.warn({ dest: att.dest, reason: (err as Error).message }, 'fabric: cannot pull again yet');
          await new Promise((r) => setTimeout(r, wait));
        }
      }
      if (att.stopping) {
        att.messages.stop();
        return;
      }
    }
  }

  /**
   * JetStream announces each new leader of a consumer
   * (`$JS.EVENT.ADVISORY.CONSUMER.LEADER_ELECTED.<stream>.<consumer>`).
   * The pull waiting at the old leader is gone and acks sent while there
   * was none were lost: an attached node's relay pulls afresh at once and
   * repeats its recent acks, instead of noticing missed heartbeats
   * seconds later and waiting out ack_wait.
   */
  #onLeaderElected(consumer: string): void {
    for (const att of this.#attached) {
      if (fabricConsumerName(att.dest) !== consumer || att.stopping) continue;
      this.#log.info({ dest: att.dest }, 'fabric: new consumer leader, pulling again');
      this.#reack([att]);
      att.repull = true;
      att.messages.stop();
    }
  }

  /** Missed heartbeats: the pull (or the consumer's leader) went away; nats.js pulls again, and the relay repeats its recent acks. */
  async #watchPulls(att: Attached, messages: ConsumerMessages): Promise<void> {
    try {
      for await (const s of messages.status()) {
        if (att.stopping || att.messages !== messages) return;
        if (s.type === 'heartbeats_missed') {
          this.#log.info({ dest: att.dest }, 'fabric: heartbeats missed, pulling again');
          this.#reack([att]);
        }
      }
    } catch {
      // ends with the messages
    }
  }

  async #handle(att: Attached, m: JsMsg, deliver: (wire: Uint8Array) => Promise<boolean>): Promise<void> {
    let msg: WebpushMessage;
    try {
      msg = decodeWebpushMessage(m.data);
    } catch (err) {
      this.#drop(m, att.dest, 'bad_message', (err as Error).message);
      return;
    }
    const header = Number(m.headers?.get(FABRIC_EXPIRES_HEADER));
    const expires = Number.isFinite(header) && header > 0 ? Math.min(header, messageExpiry(msg)) : messageExpiry(msg);
    if (expires < this.#now()) {
      this.#drop(m, att.dest, 'expired', `message ${msg.id} expired`);
      return;
    }
    // Tell JetStream this relay is still at it while a slow link delivers.
    const beat = setInterval(() => settle(() => m.working()), Math.max(100, Math.floor(this.#res.ackWaitMs / 3)));
    let ok: boolean;
    try {
      ok = await deliver(m.data);
    } catch (err) {
      this.#log.warn({ dest: att.dest, id: msg.id, reason: (err as Error).message }, 'fabric delivery failed');
      ok = false;
    } finally {
      clearInterval(beat);
    }
    if (ok) {
      this.#stats.delivered++;
      settle(() => m.ack());
      const reply = ackSubject(m);
      if (reply) {
        att.recentAcks.push(reply);
        if (att.recentAcks.length > REACKS) att.recentAcks.shift();
      }
      return;
    }
    this.#stats.refused++;
    if (att.stopping) {
      settle(() => m.nak());
      return;
    }
    const attempt = Math.max(0, m.info.deliveryCount - 1);
    const delay = Math.min(this.#opts.maxRetryDelayMs ?? 30_000, (this.#opts.retryDelayMs ?? 1000) * 2 ** Math.min(attempt, 20));
    settle(() => m.nak(delay));
  }

  #drop(m: JsMsg, dest: NodeId, reason: FabricDropReason, detail: string): void {
    if (reason === 'expired') this.#stats.expired++;
    else this.#stats.badMessages++;
    settle(() => m.term());
    this.#log.warn({ dest, reason, detail, seq: m.seq }, 'fabric message dropped');
    try {
      this.#opts.onDropped?.(reason, dest);
    } catch {
      // The counter's problem; delivery goes on.
    }
  }

  async #detach(att: Attached): Promise<void> {
    if (!this.#attached.delete(att)) return;
    att.stopping = true;
    // The consumer stays: the node's place in its messages is kept for the next relay.
    if (!this.#nc.isClosed()) await att.messages.close().catch(() => undefined);
    else att.messages.stop();
    await att.loop;
    this.#log.debug({ dest: att.dest }, 'detached from the fabric');
  }

  /** Detaches every node (messages in hand go back to JetStream) and closes the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#reackTimers) clearTimeout(t);
    this.#reackTimers.clear();
    await Promise.allSettled([...this.#attached].map((a) => this.#detach(a)));
    if (!this.#nc.isClosed()) await this.#nc.drain().catch(() => undefined);
  }
}

/** When a message's time to live runs out, Unix ms (a TTL of 0 gets the same 10 s grace the node gives). */
export function messageExpiry(msg: Pick<WebpushMessage, 'time' | 'ttl'>): number {
  return msg.time + (msg.ttl === 0 ? 10_000 : msg.ttl * 1000);
}

function checkNode(dest: string): void {
  if (!isNodeId(dest)) throw new PushmeshError('ERR_BAD_ARGUMENT', `"${dest}" is not a node ID`);
}

/** The subject a message's ack goes to (nats.js has it on every JetStream message; its type does not show it). */
function ackSubject(m: JsMsg): string {
  return (m as JsMsg & { readonly reply?: string }).reply ?? '';
}

/** Acks on a connection that went away fail; JetStream redelivers after ack_wait, which is the point. */
function settle(fn: () => void): void {
  try {
    fn();
  } catch {
    // ignored on purpose, see above
  }
}
