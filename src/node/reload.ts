import type { X509Certificate } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { NodeConfig } from '../config/index.js';
import { isPushmeshError, PushmeshError } from '../errors/index.js';
import { TrustPolicy } from '../signed-config/index.js';
import type { AccessPolicy } from '../transport/auth/access-policy.js';
import { loadTrustCas } from '../transport/auth/trust-ca.js';
import { setLogLevel } from './log-level.js';

/** Settings a running node takes on a reload (SIGHUP); a change to any other one waits for a restart. */
export const LIVE_SETTINGS = ['trust', 'trustCa', 'logLevel'] as const satisfies ReadonlyArray<keyof NodeConfig>;
/** What a reload reports the re-read allow/deny lists as (they are files of the home, not settings). */
export const ACCESS_LISTS = 'peers.allow/peers.deny';
/** Given for one start only (`--accept-store-loss`): never compared. */
const ONE_START: ReadonlySet<string> = new Set(['acceptStoreLoss']);

type LiveSetting = (typeof LIVE_SETTINGS)[number];

/** What one reload did. */
export interface ReloadOutcome {
  /** `ok`: everything that changed was applied; `partial`: some changes wait for a restart; `error`: nothing was changed. */
  result: 'ok' | 'partial' | 'error';
  /** Live settings that changed and now apply (and `peers.allow/peers.deny` when those changed). */
  applied: string[];
  /** Settings whose new value waits for a restart (the running one stays). */
  needRestart: string[];
  /** Why nothing was changed (`error`). */
  error?: string;
}

/** The top-level settings that differ between the running config and a new one: live ones and those that need a restart. */
export function changedSettings(running: NodeConfig, next: NodeConfig): { live: LiveSetting[]; restart: string[] } {
  const live: LiveSetting[] = [];
  const restart: string[] = [];
  const keys = new Set([...Object.keys(running), ...Object.keys(next)]);
  for (const key of [...keys].sort()) {
    if (ONE_START.has(key)) continue;
    if (isDeepStrictEqual((running as unknown as Record<string, unknown>)[key], (next as unknown as Record<string, unknown>)[key])) continue;
    if ((LIVE_SETTINGS as readonly string[]).includes(key)) live.push(key as LiveSetting);
    else restart.push(key);
  }
  return { live, restart };
}

/** What a reload changes on a running node. */
export interface ReloadTargets {
  /** The running config: its live settings are updated in place when a reload applies them. */
  config: NodeConfig;
  logger: Logger;
  registry: Registry;
  /** The allow/deny lists, read again on every reload. */
  accessLists: AccessPolicy;
  /** New trust CAs: for links made from now on. */
  setTrustCas(cas: X509Certificate[]): void;
  /** New config owners: kept configs are checked again under them. */
  setTrust(trust: TrustPolicy): Promise<void>;
  /** Whether the node still runs (a stopping node is not reloaded). */
  running(): boolean;
}

/**
 * Reloads a running node (SIGHUP, `node.reload`): reads the settings
 * again, checks everything that can fail first (the file, the trust list,
 * the CA file, the allow/deny lists), then applies the live settings —
 * so a broken file or CA leaves the node exactly as it was. Links stay up
 * (those the new lists refuse are closed, as when the files change).
 * Each reload is logged and counted (`pushmesh_config_reloads_total`);
 * reloads run one at a time.
 */
export class Reloader {
  readonly #t: ReloadTargets;
  readonly #count: Counter<'result'>;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(targets: ReloadTargets) {
    this.#t = targets;
    this.#count = new Counter({ name: 'pushmesh_config_reloads_total', help: 'Reloads of the settings (SIGHUP), by result: ok, partial (some changes need a restart), error (nothing changed)', labelNames: ['result'], registers: [targets.registry] });
    for (const result of ['ok', 'partial', 'error']) this.#count.inc({ result }, 0);
  }

  reload(load: () => Promise<NodeConfig> | NodeConfig): Promise<ReloadOutcome> {
    const run = this.#tail.then(() => this.#reload(load));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #reload(load: () => Promise<NodeConfig> | NodeConfig): Promise<ReloadOutcome> {
    const log = this.#t.logger;
    let outcome: ReloadOutcome;
    try {
      outcome = await this.#apply(await load());
    } catch (err) {
      const error = isPushmeshError(err) ? err.message : err instanceof Error ? err.message : String(err);
      outcome = { result: 'error', applied: [], needRestart: [], error };
    }
    this.#count.inc({ result: outcome.result });
    if (outcome.result === 'error') log.error({ reason: outcome.error }, 'reload failed: the running settings stay');
    else if (outcome.result === 'partial') log.warn({ applied: outcome.applied, needRestart: outcome.needRestart }, 'reloaded; some changes need a restart');
    else log.info({ applied: outcome.applied }, 'reloaded');
    return outcome;
  }

  async #apply(next: NodeConfig): Promise<ReloadOutcome> {
    const t = this.#t;
    if (!t.running()) throw new PushmeshError('ERR_UNAVAILABLE', 'the node is stopping');
    const { live, restart } = changedSettings(t.config, next);
    // Everything that can fail, before anything changes.
    const trust = live.includes('trust') ? TrustPolicy.fromConfig(next.trust) : null;
    const cas = live.includes('trustCa') ? await loadTrustCas(next.trustCa) : null;
    let listsChanged = false;
    const onChange = (): void => void (listsChanged = true);
    t.accessLists.once('change', onChange);
    try {
      await t.accessLists.reload();
    } finally {
      t.accessLists.off('change', onChange);
    }
    // Then apply (none of these fails).
    if (cas) t.setTrustCas(cas);
    if (live.includes('logLevel')) setLogLevel(t.logger, next.logLevel);
    if (trust) await t.setTrust(trust);
    for (const key of live) (t.config as unknown as Record<string, unknown>)[key] = next[key];
    const applied: string[] = [...live, ...(listsChanged ? [ACCESS_LISTS] : [])];
    return { result: restart.length > 0 ? 'partial' : 'ok', applied, needRestart: restart };
  }
}
