import { AckPolicy, DeliverPolicy, DiscardPolicy, JetStreamApiCodes, JetStreamApiError, type ConsumerConfig, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

/** What the fabric's stream and consumers are made of (docs/backends.md, "Scale-out"). */
export interface FabricResourceSettings {
  stream: string;
  /** `<prefix>.fabric.node.>` */
  subjects: string;
  /** The longest TTL a message may have (the node's maxTtl), seconds: the stream's max age. */
  maxAgeSeconds: number;
  /** Messages kept per node subject; the oldest go first. */
  maxPerNode: number;
  /** How long a retried publish is recognised by its Nats-Msg-Id, ms. */
  duplicateWindowMs: number;
  /** How long a delivered message may stay unacknowledged before JetStream gives it to another relay, ms. */
  ackWaitMs: number;
  /** Unacknowledged messages per node at once (1: strictly in order, see the docs). */
  maxAckPending: number;
  /** Copies of the stream (and of each consumer, which follows its stream) in a JetStream cluster; 1 on a single server. */
  replicas: number;
}

export function fabricStreamConfig(s: FabricResourceSettings): Partial<StreamConfig> & { name: string; subjects: string[] } {
  const maxAgeMs = s.maxAgeSeconds * 1000;
  return {
    name: s.stream,
    subjects: [s.subjects],
    max_age: nanos(maxAgeMs),
    discard: DiscardPolicy.Old,
    max_msgs_per_subject: s.maxPerNode,
    num_replicas: s.replicas,
    // JetStream refuses a duplicate window longer than max age.
    duplicate_window: nanos(Math.min(s.duplicateWindowMs, maxAgeMs)),
  };
}

/** The durable consumer of one node: the same name on every relay, so a node that moves keeps its place. */
export function fabricConsumerName(node: string): string {
  return `pushmesh-fabric-${node}`;
}

export function fabricConsumerConfig(s: FabricResourceSettings, node: string, subject: string): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: fabricConsumerName(node),
    filter_subject: subject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(s.ackWaitMs),
    max_ack_pending: s.maxAckPending,
    // A node attached nowhere for longer than any message may live has nothing waiting: the server removes its consumer.
    inactive_threshold: nanos(s.maxAgeSeconds * 1000 + 3600_000),
  };
}

/** JetStream's "consumer not found" (10014), or a 404 from its API. */
function isNotFound(err: unknown): boolean {
  if (err instanceof JetStreamApiError) return err.code === JetStreamApiCodes.ConsumerNotFound || err.status === 404;
  return /not found/i.test((err as Error | undefined)?.message ?? '');
}

/**
 * Creates the node's consumer, or brings an existing one to `config`
 * (relays attach the same consumer concurrently: adding an identical one
 * is a no-op for JetStream).
 */
export async function ensureFabricConsumer(jsm: JetStreamManager, stream: string, config: Partial<ConsumerConfig> & { durable_name: string }): Promise<void> {
  try {
    const info = await jsm.consumers.info(stream, config.durable_name);
    const c = info.config;
    if (c.filter_subject === config.filter_subject && c.ack_wait === config.ack_wait && c.max_ack_pending === config.max_ack_pending) return;
    await jsm.consumers.update(stream, config.durable_name, {
      filter_subject: config.filter_subject,
      ack_wait: config.ack_wait,
      max_ack_pending: config.max_ack_pending,
    });
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    await jsm.consumers.add(stream, config);
  } catch (err) {
    // Another relay created it at the same moment, with other settings: use it as it is.
    await jsm.consumers.info(stream, config.durable_name).catch(() => {
      throw err;
    });
  }
}
