import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { PushmeshError } from '../errors/index.js';
import type { Identity, NodeId } from '../identity/types.js';
import type { Db } from '../store/database.js';
import { WebPushDecrypter } from '../webpush/index.js';
import type { ConfigChannel } from './channel.js';
import { ConfigMetrics } from './config-metrics.js';
import { ConfigStore, type StoredConfig } from './config-store.js';
import { decryptConfigData } from './encryption.js';
import { ConfigRefusedError, isConfigRefused } from '../errors/config-refused-error.js';
import { peekConfigAddress } from './format.js';
import { LogBudget } from './log-budget.js';
import type { MeshConfigRelay } from './mesh-relay.js';
import type { TrustPolicy } from './trust.js';
import type { ConfigPayload, ConfigSource, ConfigView, SignedConfigApi, SubmitResult, VerifiedConfig } from './types.js';
import { verifySignedConfig } from './verify.js';

export interface SignedConfigServiceOptions {
  /** This node: its ID, and its Web Push keys to open configs encrypted to it. */
  identity: Pick<Identity, 'id' | 'privateScalar' | 'publicKey' | 'auth'>;
  trust: TrustPolicy;
  /** The node's store; the service keeps its table `signed_configs` there. */
  db: Db;
  /** The node's metrics registry. */
  registry: Registry;
  logger: Logger;
  /** The mesh: config messages to and from known peers. */
  mesh?: MeshConfigRelay;
  /** Backends (NATS, Pub/Sub, in-memory) to publish to and subscribe on. */
  channels?: readonly ConfigChannel[];
  /** Configs from the mesh and channels waiting to be checked; more are dropped (`overloaded`). Default 1000. */
  maxPending?: number;
  /** Time limit of one channel publish, ms. Default 10 000. */
  publishTimeoutMs?: number;
  now?: () => number;
}

/** Outcome of handing a config to one channel (or the mesh). */
export type PublishOutcome = { ok: true; sent?: number } | { ok: false; error: string; sent?: number };

export interface LocalSubmitResult extends SubmitResult {
  /** Channel name (and `mesh`) → outcome. */
  published: Record<string, PublishOutcome>;
}

interface ServiceEvents {
  update: [view: ConfigView];
}

const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;

function sourceLabel(source: ConfigSource): string {
  return source.kind === 'channel' ? source.name : source.kind;
}

/**
 * Signed configuration on a node: verifies every config that reaches it
 * (POST /config, the mesh, each channel) against the trust list, keeps
 * the latest good one per (namespace, name) in the store, serves and
 * announces it, and passes each new version on to every other pipe.
 * Configs are checked one at a time, in arrival order, so version checks
 * never race; publishing happens outside that line.
 */
export class SignedConfigService implements SignedConfigApi {
  readonly #opts: SignedConfigServiceOptions;
  readonly #log: Logger;
  readonly #store: ConfigStore;
  readonly #metrics: ConfigMetrics;
  readonly #decrypter: WebPushDecrypter;
  readonly #views = new Map<string, ConfigView>();
  readonly #events = new EventEmitter<ServiceEvents>();
  readonly #channels: ConfigChannel[] = [];
  readonly #abort = new AbortController();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #refusalLogs = new LogBudget();
  readonly #maxPending: number;
  readonly #now: () => number;
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #state: 'new' | 'running' | 'closed' = 'new';

  constructor(opts: SignedConfigServiceOptions) {
    this.#opts = opts;
    this.#log = opts.logger;
    this.#now = opts.now ?? Date.now;
    this.#maxPending = opts.maxPending ?? 1000;
    this.#store = new ConfigStore(opts.db);
    this.#metrics = new ConfigMetrics(opts.registry, () => this.#store.size);
    this.#decrypter = new WebPushDecrypter(opts.identity);
    this.#events.setMaxListeners(0);
  }

  /**
   * Checks the kept configs again under the current trust list (one
   * signed by a no-longer-trusted key is forgotten, with a log line), then
   * listens on the mesh and subscribes to every channel.
   */
  async start(): Promise<void> {
    if (this.#state !== 'new') return;
    await this.#checkKept();
    this.#state = 'running';
    this.#opts.mesh?.listen((jws, from) => this.#intake(jws, { kind: 'mesh', from }), this.#abort.signal);
    for (const ch of this.#opts.channels ?? []) this.addChannel(ch);
    // Channels added later (startNode: one per backend) are named in the node's "pushmesh node running" line.
    this.#log.info({ kept: this.#store.size, trust: this.#opts.trust.toJSON() }, 'signed config ready');
  }

  /** The channels configs travel over (besides the mesh), by name. */
  get channels(): string[] {
    return this.#channels.map((c) => c.name);
  }

  /**
   * Replaces the trust list (a reload, SIGHUP): configs checked from now
   * on are checked under it, and the kept ones again, as at a start (one
   * whose owner is no longer trusted is forgotten).
   */
  async setTrust(trust: TrustPolicy): Promise<void> {
    await this.#serial(async () => {
      this.#opts.trust = trust;
      await this.#checkKept();
    });
    this.#log.info({ kept: this.#store.size, trust: trust.toJSON() }, 'signed config trust replaced');
  }

  async #checkKept(): Promise<void> {
    for (const kept of this.#store.all()) {
      try {
        const v = await this.#verify(kept.jws);
        this.#views.set(keyOf(kept.namespace, kept.name), this.#viewOf(kept, v.payload));
      } catch (err) {
        const reason = isConfigRefused(err) ? err.reason : 'malformed';
        this.#metrics.refuse(reason, 'store');
        this.#log.warn({ namespace: kept.namespace, name: kept.name, version: kept.version, owner: kept.owner, reason }, 'kept config no longer verifies (trust changed?); forgotten');
        this.#store.remove(kept.namespace, kept.name);
        this.#views.delete(keyOf(kept.namespace, kept.name));
      }
    }
  }

  /** Adds a backend: new configs are published to it, and what it carries is checked and kept. */
  addChannel(channel: ConfigChannel): void {
    if (this.#state === 'closed') throw new PushmeshError('ERR_UNAVAILABLE', 'signed config service is closed');
    this.#channels.push(channel);
    this.#metrics.accepted.inc({ source: channel.name }, 0);
    this.#track(this.#subscribe(channel));
  }

  /** A config from this node's own apps (POST /config): checked, kept, and published everywhere. */
  async submit(jws: string): Promise<LocalSubmitResult> {
    if (this.#state !== 'running') throw new PushmeshError('ERR_UNAVAILABLE', 'signed config service is not running');
    const { result, verified } = await this.#serial(() => this.#process(jws, { kind: 'local' }));
    // A duplicate from the owner is published again: it may be re-sent because a pipe was down.
    const published = await this.#forward(verified, { kind: 'local' });
    return { ...result, published };
  }

  get(namespace: string, name: string): { view: ConfigView; jws: string } | undefined {
    const view = this.#views.get(keyOf(namespace, name));
    const kept = this.#store.get(namespace, name);
    return view && kept ? { view, jws: kept.jws } : undefined;
  }

  list(): ConfigView[] {
    return [...this.#views.values()].sort((a, b) => keyOf(a.namespace, a.name).localeCompare(keyOf(b.namespace, b.name)));
  }

  onUpdate(listener: (view: ConfigView) => void): () => void {
    this.#events.on('update', listener);
    return () => this.#events.off('update', listener);
  }

  /** Stops listening, waits for the configs being checked and published, then closes. */
  async drain(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#abort.abort();
    await this.#tail;
    await Promise.allSettled([...this.#inFlight]);
    this.close();
  }

  /** Stops now: no more configs are taken; publishes in flight end on their own. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#abort.abort();
    this.#events.removeAllListeners();
  }

  /** A config from the mesh or a channel: queued (bounded) for checking; new versions are passed on. */
  #intake(jws: string, source: ConfigSource): void {
    if (this.#state !== 'running' || this.#abort.signal.aborted) return;
    if (this.#pending >= this.#maxPending) {
      this.#metrics.refuse('overloaded', sourceLabel(source));
      this.#log.debug({ source: sourceLabel(source) }, 'too many signed configs waiting; one dropped');
      return;
    }
    this.#pending++;
    const done = this.#serial(() => this.#process(jws, source)).then(
      ({ result, verified }) => {
        if (result.status === 'accepted') this.#track(this.#forward(verified, source));
      },
      () => undefined, // refusals are logged and counted in #process
    );
    void done.finally(() => this.#pending--);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #track(p: Promise<unknown>): void {
    const settled = p.catch(() => undefined);
    this.#inFlight.add(settled);
    void settled.finally(() => this.#inFlight.delete(settled));
  }

  #verify(jws: string): Promise<VerifiedConfig> {
    return verifySignedConfig(jws, { isOwner: (ns, signer) => this.#opts.trust.isOwner(ns, signer) });
  }

  async #process(jws: string, source: ConfigSource): Promise<{ result: SubmitResult; verified: VerifiedConfig }> {
    const label = sourceLabel(source);
    let verified: VerifiedConfig;
    let offered: ReturnType<ConfigStore['offer']>;
    try {
      verified = await this.#verify(jws);
      if (this.#state === 'closed') throw new PushmeshError('ERR_UNAVAILABLE', 'signed config service is closed');
      offered = this.#store.offer(verified, this.#now());
    } catch (err) {
      if (isConfigRefused(err)) this.#refused(err, jws, source);
      throw err;
    }
    const { namespace, name, version } = verified.payload;
    if (offered.status === 'duplicate') {
      this.#metrics.duplicates.inc({ source: label });
      this.#log.debug({ namespace, name, version, source: label }, 'signed config seen again');
      const view = this.#views.get(keyOf(namespace, name)) ?? this.#viewOf(offered.stored, verified.payload);
      return { result: { status: 'duplicate', config: view }, verified };
    }
    const view = this.#viewOf(offered.stored, verified.payload);
    this.#views.set(keyOf(namespace, name), view);
    this.#metrics.accepted.inc({ source: label });
    this.#log.info({ namespace, name, version, owner: verified.owner, source: label, ...(source.kind === 'mesh' ? { from: source.from } : {}) }, 'signed config accepted');
    this.#events.emit('update', view);
    return { result: { status: 'accepted', config: view }, verified };
  }

  #refused(err: ConfigRefusedError, jws: string, source: ConfigSource): void {
    const label = sourceLabel(source);
    this.#metrics.refuse(err.reason, label);
    const budget = this.#refusalLogs.take(err.reason);
    const at = peekConfigAddress(jws);
    const fields = { reason: err.reason, detail: err.message, source: label, ...(source.kind === 'mesh' ? { from: source.from } : {}), ...(at ?? {}) };
    if (!budget.log) {
      this.#log.debug(fields, 'signed config refused');
      return;
    }
    this.#log.warn(budget.skipped > 0 ? { ...fields, notLogged: budget.skipped } : fields, 'signed config refused');
  }

  #viewOf(kept: StoredConfig, payload: ConfigPayload): ConfigView {
    const base = { namespace: kept.namespace, name: kept.name, version: kept.version, owner: kept.owner, iat: payload.iat, acceptedAt: kept.acceptedAt };
    if (!payload.encrypted) return { ...base, data: payload.data, encrypted: false, readable: true };
    const opened = decryptConfigData(payload.encrypted, this.#opts.identity.id, this.#decrypter);
    if (opened.readable) return { ...base, data: opened.data, encrypted: true, readable: true };
    if (opened.why === 'does not decrypt') {
      this.#metrics.undecryptable.inc();
      this.#log.warn({ namespace: kept.namespace, name: kept.name, version: kept.version }, 'config encrypted to this node does not decrypt (signed with an old card?)');
    }
    return { ...base, data: null, encrypted: true, readable: false };
  }

  /** Publishes a config to every channel but the one it came from, and to the mesh peers but its sender. */
  async #forward(config: VerifiedConfig, source: ConfigSource): Promise<Record<string, PublishOutcome>> {
    const out: Record<string, PublishOutcome> = {};
    const timeoutMs = this.#opts.publishTimeoutMs ?? 10_000;
    const tasks = this.#channels
      .filter((ch) => !(source.kind === 'channel' && source.name === ch.name))
      .map(async (ch) => {
        try {
          await withTimeout(ch.publish(config.jws), timeoutMs, `no answer from ${ch.name} within ${timeoutMs} ms`);
          out[ch.name] = { ok: true };
        } catch (err) {
          const error = (err as Error).message ?? String(err);
          out[ch.name] = { ok: false, error };
          this.#metrics.publishErrors.inc({ channel: ch.name });
          this.#log.warn({ channel: ch.name, namespace: config.payload.namespace, name: config.payload.name, version: config.payload.version, reason: error }, 'could not publish a signed config');
        }
      });
    const mesh = this.#opts.mesh;
    if (mesh) {
      const exclude = new Set<NodeId>(source.kind === 'mesh' ? [source.from] : []);
      tasks.push(
        mesh.publish(config.jws, config.payload, exclude).then((r) => {
          out[mesh.name] = r.failed === 0 ? { ok: true, sent: r.sent } : { ok: false, sent: r.sent, error: r.lastError ?? 'send failed' };
          if (r.failed > 0) {
            this.#metrics.publishErrors.inc({ channel: mesh.name }, r.failed);
            this.#log.warn({ channel: mesh.name, sent: r.sent, failed: r.failed, reason: r.lastError }, 'could not send a signed config to some peers');
          }
        }),
      );
    }
    await Promise.all(tasks);
    return out;
  }

  /** Keeps one channel subscribed; a subscription that fails is tried again with backoff. */
  async #subscribe(channel: ConfigChannel): Promise<void> {
    const signal = this.#abort.signal;
    let delay = 500;
    while (!signal.aborted) {
      try {
        await channel.subscribe((jws) => this.#intake(jws, { kind: 'channel', name: channel.name }), signal);
        // Resolving (without an abort) means subscribed, or ended: either way the channel keeps itself going.
        return;
      } catch (err) {
        if (signal.aborted) return;
        this.#log.warn({ channel: channel.name, reason: (err as Error).message, retryMs: delay }, 'config channel subscription failed; will retry');
      }
      try {
        await sleep(delay, undefined, { signal });
      } catch {
        return;
      }
      delay = Math.min(delay * 2, 30_000);
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
