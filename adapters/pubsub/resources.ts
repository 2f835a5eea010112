import type { PubSub, Subscription, Topic } from '@google-cloud/pubsub';

/** gRPC status codes the Pub/Sub client reports. */
const ALREADY_EXISTS = 6;

function code(err: unknown): number | undefined {
  return (err as { code?: number })?.code;
}

/** The topic, created when missing (another node may create it at the same moment). */
export async function ensureTopic(pubsub: PubSub, name: string, options: { retentionSeconds?: number } = {}): Promise<Topic> {
  const topic = pubsub.topic(name);
  const [exists] = await topic.exists();
  if (exists) return topic;
  try {
    const spec: { name: string; messageRetentionDuration?: { seconds: number } } = { name };
    if (options.retentionSeconds !== undefined) spec.messageRetentionDuration = { seconds: options.retentionSeconds };
    const [created] = await pubsub.createTopic(spec);
    return created;
  } catch (err) {
    if (code(err) === ALREADY_EXISTS) return topic;
    throw err;
  }
}

/** The subscription on `topic`, created when missing. */
export async function ensureSubscription(topic: Topic, name: string, options: Parameters<Topic['createSubscription']>[1] = {}): Promise<Subscription> {
  const sub = topic.subscription(name);
  const [exists] = await sub.exists();
  if (exists) return sub;
  try {
    const [created] = await topic.createSubscription(name, options);
    return created;
  } catch (err) {
    if (code(err) === ALREADY_EXISTS) return sub;
    throw err;
  }
}
