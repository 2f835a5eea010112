import { AckPolicy, DeliverPolicy, DiscardPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

/** JetStream's "stream not found" (10059), or a 404 from its API. */
function isNotFound(err: unknown): boolean {
  if (err instanceof JetStreamApiError) return err.code === JetStreamApiCodes.StreamNotFound || err.status === 404;
  return /not found/i.test((err as Error | undefined)?.message ?? '');
}

/**
 * Makes sure a stream exists and captures `subjects`: creates it, or adds
 * missing subjects to an existing one (other nodes share it). Settings
 * of an existing stream are otherwise left as its owner made them.
 */
export async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string; subjects: string[] }): Promise<void> {
  let info;
  try {
    info = await jsm.streams.info(config.name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      await jsm.streams.add({ retention: RetentionPolicy.Limits, storage: StorageType.File, discard: DiscardPolicy.Old, ...config });
      return;
    } catch (addErr) {
      // Another node created it at the same moment: fall through and check it.
      info = await jsm.streams.info(config.name).catch(() => {
        throw addErr;
      });
    }
  }
  const missing = config.subjects.filter((s) => !info.config.subjects?.includes(s));
  if (missing.length > 0) await jsm.streams.update(config.name, { ...info.config, subjects: [...(info.config.subjects ?? []), ...missing] });
}

/** The settings of the event stream (docs/backends.md). */
export function eventStreamConfig(name: string, subjects: string[], maxAgeSeconds: number): Partial<StreamConfig> & { name: string; subjects: string[] } {
  return { name, subjects, max_age: maxAgeSeconds > 0 ? nanos(maxAgeSeconds * 1000) : 0, duplicate_window: nanos(120_000) };
}

/** The settings of the config stream: the last message per subject is kept, nothing else. */
export function configStreamConfig(name: string, subjects: string[]): Partial<StreamConfig> & { name: string; subjects: string[] } {
  return { name, subjects, max_msgs_per_subject: 1 };
}

/**
 * A durable pull consumer with explicit acks. New consumers start with
 * the events published after their creation (`deliver_policy: new`); a
 * consumer that exists resumes where its acks stopped.
 */
export async function ensureDurableConsumer(jsm: JetStreamManager, stream: string, durable: string, filterSubject: string): Promise<void> {
  try {
    const info = await jsm.consumers.info(stream, durable);
    if (info.config.filter_subject === filterSubject) return;
    await jsm.consumers.update(stream, durable, { filter_subject: filterSubject });
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await jsm.consumers.add(stream, {
    durable_name: durable,
    filter_subject: filterSubject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.New,
    ack_wait: nanos(30_000),
    max_ack_pending: 1_000,
  });
}
