/**
 * The wiring that builds a node's backends from its configuration. The
 * adapters themselves (NATS, Google Pub/Sub, HTTP webhooks), each a
 * plug-in behind the contract in src/backends/types.ts, are in
 * nats/nats-adapter.ts, pubsub/pubsub-adapter.ts and
 * http/webhook-adapter.ts.
 */
import type { Logger } from 'pino';
import { BackendBridge } from '../src/backends/bridge.js';
import type { BridgeRule } from '../src/backends/rules.js';
import { TopicPattern } from '../src/backends/topic-pattern.js';
import type { BackendAdapter } from '../src/backends/types.js';
import { webhookForUrl, type NodeConfig, type WebhookSettings } from '../src/config/index.js';
import { PushmeshError } from '../src/errors/index.js';
import { PeerStore } from '../src/identity/index.js';
import type { NodeCore } from '../src/core/index.js';
import type { Fabric } from '../src/routing/fabric.js';
/**
 * The adapters a configuration asks for: NATS (`--nats`), Pub/Sub
 * (`--pubsub`), one per webhook sink. Each adapter's module (and its
 * client library: the Pub/Sub one alone takes ~0.3 s to load) is loaded
 * only when it is used, so the other commands stay quick.
 */
export async function createAdapters(config: NodeConfig, logger: Logger): Promise<BackendAdapter[]> {
  const b = config.backends;
  const adapters: BackendAdapter[] = [];
  if (config.nats.length > 0) {
    const { NatsAdapter } = await import('./nats/nats-adapter.js');
    adapters.push(new NatsAdapter({ servers: config.nats, settings: b.nats, logger }));
  }
  if (config.pubsub) {
    const { PubSubAdapter } = await import('./pubsub/pubsub-adapter.js');
    adapters.push(new PubSubAdapter({ projectId: config.pubsub, settings: b.pubsub, logger }));
  }
  const sinks = new Map<string, WebhookSettings>(b.webhooks.map((w) => [w.name, w]));
  for (const rule of b.bridges) {
    if (/^https?:/i.test(rule.to) && !sinks.has(rule.to)) sinks.set(rule.to, webhookForUrl(rule.to));
  }
  if (sinks.size > 0) {
    const { WebhookAdapter } = await import('./http/webhook-adapter.js');
    for (const w of sinks.values()) adapters.push(new WebhookAdapter({ settings: w, logger }));
  }
  return adapters;
}

/** Compiles the configured rules; a recipient is this node (`self`, default) or a node whose card is in the peer store. */
export async function resolveRules(config: NodeConfig, core: NodeCore, adapters: readonly BackendAdapter[]): Promise<BridgeRule[]> {
  const names = new Set(adapters.map((a) => a.name));
  const peers = new PeerStore(config.home);
  const rules: BridgeRule[] = [];
  for (const r of config.backends.bridges) {
    if (!names.has(r.to)) {
      const hint = r.to === 'nats' ? ' (give --nats URL)' : r.to === 'pubsub' ? ' (give --pubsub PROJECT)' : '';
      throw new PushmeshError('ERR_CONFIG', `bridge "${r.topics}" goes to "${r.to}", which is not configured${hint}`);
    }
    const rule: BridgeRule = { topics: new TopicPattern(r.topics), to: r.to, mode: r.mode };
    if (r.destination !== undefined) rule.destination = r.destination;
    if (r.mode === 'encrypted') {
      if (r.recipient === undefined || r.recipient === 'self' || r.recipient === core.identity.id) rule.recipient = core.card();
      else {
        const card = await peers.get(r.recipient);
        if (!card) throw new PushmeshError('ERR_CONFIG', `bridge "${r.topics}": no card for recipient ${r.recipient}: add it with "pushmesh peer add"`);
        rule.recipient = card;
      }
    }
    rules.push(rule);
  }
  return rules;
}

/**
 * Builds and starts the backends of a running node, or returns null when
 * none is configured. Closing it (drain/close) is the caller's job.
 */
export async function startBackends(core: NodeCore, config: NodeConfig, logger: Logger): Promise<BackendBridge | null> {
  const adapters = await createAdapters(config, logger);
  const rules = await resolveRules(config, core, adapters);
  if (adapters.length === 0) return null;
  const bridge = new BackendBridge({ core, adapters, rules, logger, maxEventBytes: config.limits.maxRequestBody, maxTtl: config.limits.maxTtl });
  await bridge.start();
  return bridge;
}

/**
 * The scale-out fabric (docs/backends.md, "Scale-out"), or null when it is
 * off: on when NATS is configured (`--nats URL`) and
 * `backends.nats.fabric: true`. Messages wait in it at most the node's
 * `limits.maxTtl`. Closing it is the caller's job.
 */
export async function createFabric(
  config: NodeConfig,
  logger: Logger,
  opts: { onDropped?: (reason: 'expired' | 'bad_message', dest: string) => void; name?: string } = {},
): Promise<Fabric | null> {
  const s = config.backends.nats;
  if (config.nats.length === 0 || !s.fabric) return null;
  if (!s.jetstream) throw new PushmeshError('ERR_CONFIG', 'backends.nats.fabric needs JetStream (jetstream: true)');
  const { NatsFabric } = await import('./nats/nats-fabric.js');
  return NatsFabric.open({
    servers: config.nats,
    subjectPrefix: s.subjectPrefix,
    stream: s.fabricStream,
    maxAgeSeconds: config.limits.maxTtl,
    maxPerNode: s.fabricMaxPerNode,
    replicas: s.fabricReplicas,
    logger,
    ...(opts.onDropped ? { onDropped: opts.onDropped } : {}),
    ...(opts.name ? { name: opts.name } : {}),
  });
}
