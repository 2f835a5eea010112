import { PushmeshError } from '../errors/index.js';
import { isNodeId } from '../identity/node-id.js';

/** How a bridge rule carries messages: sealed to a recipient card (default) or as they are. */
export type BridgeMode = 'plaintext' | 'encrypted';
/** CloudEvents content mode on a backend. */
export type ContentMode = 'binary' | 'structured';

/** A bridge rule (file `bridges:`, `--bridge`, `PUSHMESH_BRIDGES`). */
export interface BridgeRuleConfig {
  /** Glob over app topics: `*` any characters, `?` one. */
  topics: string;
  /** `nats`, `pubsub`, a webhook's name, or a webhook URL. */
  to: string;
  mode: BridgeMode;
  /** Encrypted mode: node ID of the recipient card (from the peer store), or `self` (default). */
  recipient?: string;
  /** Backend destination (NATS subject, Pub/Sub topic) with `{topic}` / `{recipient}`; default per backend. */
  destination?: string;
}

export interface NatsSettings {
  /** First token(s) of every subject pushmesh uses. Default `pushmesh`. */
  subjectPrefix: string;
  /** Durable delivery through JetStream (default true); false = core NATS, at most once. */
  jetstream: boolean;
  /** JetStream stream of events. Default `PUSHMESH_EVENTS`. */
  stream: string;
  /** JetStream stream of signed configs. Default `PUSHMESH_CONFIG`. */
  configStream: string;
  /** How events are written (both are read). Default `structured`. */
  contentMode: ContentMode;
  /** How long the event stream keeps events, seconds. Default 7 days. */
  maxAgeSeconds: number;
  /** Subscribe to `<prefix>.ce.>` and `<prefix>.sealed.<this node>`. Default true. */
  import: boolean;
  /** Scale-out: relays on this NATS reach each other's attached nodes through JetStream (docs/backends.md, "Scale-out"). Default false. */
  fabric: boolean;
  /** JetStream stream of the fabric. Default `PUSHMESH_FABRIC`. */
  fabricStream: string;
  /** At most this many messages wait per node in the fabric; older ones are discarded first. Default 10000. */
  fabricMaxPerNode: number;
  /** Copies JetStream keeps of the fabric's stream (and its consumers) when it creates it: 1 for one server, 3 for a 3-server cluster. Default 1. */
  fabricReplicas: number;
}

export interface PubSubSettings {
  /** Topic events are published to and read from. Default `pushmesh-events`. */
  topic: string;
  /** This node's subscription on it. Default `pushmesh-<node id>`. */
  subscription: string | null;
  /** Topic of signed configs. Default `pushmesh-config`. */
  configTopic: string;
  /** How long the config topic keeps messages for late joiners, seconds (Pub/Sub allows 600 – 2 678 400). Default 31 days. */
  configRetentionSeconds: number;
  /** How events are written (both are read). Default `binary`. */
  contentMode: ContentMode;
  /** Read events from the subscription. Default true. */
  import: boolean;
}

export interface WebhookSettings {
  name: string;
  url: string;
  contentMode: ContentMode;
  /** Extra request headers (for example Authorization). */
  headers: Record<string, string>;
  timeoutMs: number;
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Requests at once; 1 keeps events in order. */
  concurrency: number;
}

export interface BackendsConfig {
  bridges: BridgeRuleConfig[];
  nats: NatsSettings;
  pubsub: PubSubSettings;
  webhooks: WebhookSettings[];
}

export function defaultBackends(): BackendsConfig {
  return {
    bridges: [],
    nats: { subjectPrefix: 'pushmesh', jetstream: true, stream: 'PUSHMESH_EVENTS', configStream: 'PUSHMESH_CONFIG', contentMode: 'structured', maxAgeSeconds: 7 * 24 * 3600, import: true, fabric: false, fabricStream: 'PUSHMESH_FABRIC', fabricMaxPerNode: 10_000, fabricReplicas: 1 },
    pubsub: { topic: 'pushmesh-events', subscription: null, configTopic: 'pushmesh-config', configRetentionSeconds: 31 * 24 * 3600, contentMode: 'binary', import: true },
    webhooks: [],
  };
}

export const WEBHOOK_DEFAULTS: Omit<WebhookSettings, 'name' | 'url'> = {
  contentMode: 'binary',
  headers: {},
  timeoutMs: 10_000,
  maxAttempts: 8,
  initialBackoffMs: 500,
  maxBackoffMs: 60_000,
  concurrency: 1,
};

const err = (message: string): PushmeshError => new PushmeshError('ERR_CONFIG', message);

/**
 * Parses the flag form of a rule: `TOPICS=TARGET[,plaintext|encrypted][,recipient=ID][,destination=D]`,
 * e.g. `orders.*=nats,plaintext` or `*=https://hooks.example/ce,plaintext`.
 */
export function parseBridgeSpec(spec: string): BridgeRuleConfig {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw err(`bridge "${spec}" is not TOPICS=TARGET[,plaintext|encrypted][,recipient=ID][,destination=D]`);
  const [to, ...opts] = spec.slice(eq + 1).split(',');
  const rule: Record<string, unknown> = { topics: spec.slice(0, eq), to };
  for (const o of opts) {
    if (o === 'plaintext' || o === 'encrypted') rule['mode'] = o;
    else if (o.startsWith('recipient=')) rule['recipient'] = o.slice('recipient='.length);
    else if (o.startsWith('destination=')) rule['destination'] = o.slice('destination='.length);
    else throw err(`bridge "${spec}": unknown option "${o}"`);
  }
  return validateBridge(rule, `bridge "${spec}"`);
}

/** Checks one rule from the file (a mapping, or a string in the flag form). */
export function validateBridge(raw: unknown, where: string): BridgeRuleConfig {
  if (typeof raw === 'string') return parseBridgeSpec(raw);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw err(`${where}: a bridge is a mapping {topics, to, mode, recipient, destination}`);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['topics', 'to', 'mode', 'recipient', 'destination'].includes(k)) throw err(`${where}: unknown bridge setting "${k}"`);
  const str = (k: string, required: boolean): string | undefined => {
    const v = o[k];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v === '') throw err(`${where}: "${k}" must be a non-empty string`);
    return v;
  };
  const topics = str('topics', true)!;
  const to = str('to', true)!;
  const mode = (str('mode', false) ?? 'encrypted') as BridgeMode;
  if (mode !== 'plaintext' && mode !== 'encrypted') throw err(`${where}: mode must be plaintext or encrypted`);
  if (/^https?:/i.test(to)) checkUrl(to, where);
  else if (!/^[A-Za-z0-9_-]{1,64}$/.test(to)) throw err(`${where}: "to" must be nats, pubsub, a webhook's name or an http(s):// URL`);
  const rule: BridgeRuleConfig = { topics, to, mode };
  const recipient = str('recipient', false);
  if (recipient !== undefined) {
    if (mode !== 'encrypted') throw err(`${where}: a recipient only makes sense in encrypted mode`);
    if (recipient !== 'self' && !isNodeId(recipient)) throw err(`${where}: recipient must be a full node ID or "self"`);
    rule.recipient = recipient;
  }
  const destination = str('destination', false);
  if (destination !== undefined) {
    if (mode === 'encrypted' && destination.includes('{topic}')) throw err(`${where}: {topic} would put the secret topic in the clear; encrypted rules may use {recipient} only`);
    rule.destination = destination;
  }
  return rule;
}

/** Reads the `backends:` section of the config file over the defaults. */
export function backendsFromFile(raw: unknown, where: string, base: BackendsConfig = defaultBackends()): BackendsConfig {
  if (raw === undefined) return base;
  const o = mapping(raw, `${where}: "backends"`);
  const out: BackendsConfig = { ...base, nats: { ...base.nats }, pubsub: { ...base.pubsub }, webhooks: [...base.webhooks] };
  for (const k of Object.keys(o)) if (!['nats', 'pubsub', 'webhooks'].includes(k)) throw err(`${where}: unknown setting "backends.${k}"`);
  if (o['nats'] !== undefined) {
    const n = mapping(o['nats'], `${where}: backends.nats`);
    assign(out.nats, n, `${where}: backends.nats`);
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(out.nats.subjectPrefix)) throw err(`${where}: backends.nats.subjectPrefix must be NATS subject tokens (letters, digits, _ -, separated by dots)`);
    for (const k of ['stream', 'configStream', 'fabricStream'] as const) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(out.nats[k])) throw err(`${where}: backends.nats.${k} must be 1-64 letters, digits, _ or -`);
    }
    if (out.nats.fabricMaxPerNode < 1) throw err(`${where}: backends.nats.fabricMaxPerNode must be at least 1`);
    if (!Number.isInteger(out.nats.fabricReplicas) || out.nats.fabricReplicas < 1 || out.nats.fabricReplicas > 5) throw err(`${where}: backends.nats.fabricReplicas must be 1-5 (JetStream's limit; at most the number of servers in the cluster)`);
    if (out.nats.fabric && !out.nats.jetstream) throw err(`${where}: backends.nats.fabric needs JetStream (jetstream: true)`);
  }
  if (o['pubsub'] !== undefined) {
    const p = mapping(o['pubsub'], `${where}: backends.pubsub`);
    assign(out.pubsub, p, `${where}: backends.pubsub`, ['subscription']);
    const r = out.pubsub.configRetentionSeconds;
    if (r < 600 || r > 2_678_400) throw err(`${where}: backends.pubsub.configRetentionSeconds must be 600-2678400`);
  }
  if (o['webhooks'] !== undefined) {
    if (!Array.isArray(o['webhooks'])) throw err(`${where}: backends.webhooks must be a list`);
    out.webhooks = o['webhooks'].map((w, i) => webhookFrom(w, `${where}: backends.webhooks[${i}]`));
    const names = new Set<string>();
    for (const w of out.webhooks) {
      if (names.has(w.name)) throw err(`${where}: two webhooks are named "${w.name}"`);
      names.add(w.name);
    }
  }
  return out;
}

function webhookFrom(raw: unknown, where: string): WebhookSettings {
  const o = mapping(raw, where);
  if (typeof o['url'] !== 'string') throw err(`${where}: "url" is required`);
  checkUrl(o['url'], where);
  const w: WebhookSettings = { name: o['url'], url: o['url'], ...WEBHOOK_DEFAULTS, headers: {} };
  assign(w, o, where);
  if (['nats', 'pubsub'].includes(w.name)) throw err(`${where}: a webhook cannot be named "${w.name}"`);
  if (w.name !== w.url && !/^[A-Za-z0-9_-]{1,64}$/.test(w.name)) throw err(`${where}: a webhook name is 1-64 letters, digits, _ or -`);
  for (const [k, v] of Object.entries(w.headers)) if (typeof v !== 'string') throw err(`${where}: header "${k}" must be a string`);
  if (w.maxAttempts < 1 || w.concurrency < 1 || w.timeoutMs < 1) throw err(`${where}: maxAttempts, concurrency and timeoutMs must be at least 1`);
  return w;
}

/** A webhook sink for a rule whose target is a bare URL. */
export function webhookForUrl(url: string): WebhookSettings {
  return { name: url, url, ...WEBHOOK_DEFAULTS, headers: {} };
}

function mapping(raw: unknown, where: string): Record<string, unknown> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw err(`${where} must be a mapping`);
  return raw as Record<string, unknown>;
}

/** Copies known keys of `from` onto `target`, each checked against the type of its default. */
function assign<T extends object>(target: T, from: Record<string, unknown>, where: string, nullable: string[] = []): void {
  const t = target as Record<string, unknown>;
  for (const [k, v] of Object.entries(from)) {
    if (!Object.hasOwn(t, k)) throw err(`${where}: unknown setting "${k}"`);
    const def = t[k];
    if (v === null && nullable.includes(k)) t[k] = null;
    else if (k === 'contentMode') {
      if (v !== 'binary' && v !== 'structured') throw err(`${where}: contentMode must be binary or structured`);
      t[k] = v;
    } else if (typeof def === 'number') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw err(`${where}: "${k}" must be a non-negative integer`);
      t[k] = v;
    } else if (typeof def === 'boolean') {
      if (typeof v !== 'boolean') throw err(`${where}: "${k}" must be true or false`);
      t[k] = v;
    } else if (def !== null && typeof def === 'object') {
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw err(`${where}: "${k}" must be a mapping`);
      t[k] = { ...(v as object) };
    } else {
      if (typeof v !== 'string' || v === '') throw err(`${where}: "${k}" must be a non-empty string`);
      t[k] = v;
    }
  }
}

function checkUrl(url: string, where: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw err(`${where}: "${url}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw err(`${where}: webhook URL "${url}" must be http:// or https://`);
}
