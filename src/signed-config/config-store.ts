import type { NodeId } from '../identity/types.js';
import type { Db } from '../store/database.js';
import { storageHealthOf, type StorageHealth } from '../store/storage-health.js';
import { ConfigRefusedError } from '../errors/config-refused-error.js';
import type { VerifiedConfig } from './types.js';

/** The latest good config of one (namespace, name), as kept on disk. */
export interface StoredConfig {
  namespace: string;
  name: string;
  version: number;
  owner: NodeId;
  jws: string;
  /** When this node accepted it, Unix milliseconds. */
  acceptedAt: number;
}

interface Row {
  namespace: string;
  name: string;
  version: number;
  owner: string;
  jws: string;
  accepted_at: number;
}

const key = (namespace: string, name: string): string => `${namespace}/${name}`;
const payloadSegment = (jws: string): string => jws.split('.')[1] ?? '';

/**
 * The latest good signed config per (namespace, name), in the node's
 * SQLite store (table `signed_configs`) with a copy in memory. Applies
 * the version rules: a higher version replaces, a lower one is refused
 * (`rollback`), the same version is a `duplicate` when its payload is
 * identical and refused (`conflict`) when it is not. `offer` is
 * synchronous, so a check and its write never interleave with another.
 *
 * Disk first: a config is kept in memory only once it is on disk; a
 * write that fails (disk full) throws ERR_STORAGE_FULL and changes
 * nothing. A removal (the config no longer verifies) takes effect in
 * memory at once; its delete is retried until the disk takes it (and a
 * restart checks every kept config again anyway).
 */
export class ConfigStore {
  readonly #byKey = new Map<string, StoredConfig>();
  readonly #stmts;
  readonly #db: Db;
  readonly #health: StorageHealth;
  /** Removals whose delete failed: `namespace/name` → [namespace, name]. */
  readonly #pendingRemovals = new Map<string, [string, string]>();

  constructor(db: Db, opts: { health?: StorageHealth } = {}) {
    this.#db = db;
    this.#health = opts.health ?? storageHealthOf(db);
    db.exec(`
      CREATE TABLE IF NOT EXISTS signed_configs (
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        owner TEXT NOT NULL,
        jws TEXT NOT NULL,
        accepted_at INTEGER NOT NULL,
        PRIMARY KEY (namespace, name)
      ) WITHOUT ROWID;
    `);
    this.#stmts = {
      all: db.prepare<[], Row>('SELECT namespace, name, version, owner, jws, accepted_at FROM signed_configs ORDER BY namespace, name'),
      upsert: db.prepare<[string, string, number, string, string, number]>(
        `INSERT INTO signed_configs (namespace, name, version, owner, jws, accepted_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (namespace, name) DO UPDATE SET version = excluded.version, owner = excluded.owner, jws = excluded.jws, accepted_at = excluded.accepted_at`,
      ),
      remove: db.prepare<[string, string]>('DELETE FROM signed_configs WHERE namespace = ? AND name = ?'),
    };
    for (const r of this.#stmts.all.all()) {
      this.#byKey.set(key(r.namespace, r.name), { namespace: r.namespace, name: r.name, version: r.version, owner: r.owner, jws: r.jws, acceptedAt: r.accepted_at });
    }
    this.#health.retry(() => this.#flushRemovals());
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Every kept config, ordered by namespace and name. */
  all(): StoredConfig[] {
    return [...this.#byKey.values()].sort((a, b) => key(a.namespace, a.name).localeCompare(key(b.namespace, b.name)));
  }

  get(namespace: string, name: string): StoredConfig | undefined {
    return this.#byKey.get(key(namespace, name));
  }

  /**
   * Keeps `config` if it is newer than the kept one. Returns `accepted`
   * (kept now) or `duplicate` (the same payload is kept already); throws
   * ConfigRefusedError `rollback` or `conflict`.
   */
  offer(config: VerifiedConfig, now: number): { status: 'accepted' | 'duplicate'; stored: StoredConfig } {
    const { namespace, name, version } = config.payload;
    const kept = this.get(namespace, name);
    if (kept) {
      if (version < kept.version) {
        throw new ConfigRefusedError('rollback', `${namespace}/${name} version ${version} is older than the kept version ${kept.version}`);
      }
      if (version === kept.version) {
        if (payloadSegment(kept.jws) === config.payloadSegment) return { status: 'duplicate', stored: kept };
        throw new ConfigRefusedError('conflict', `${namespace}/${name} version ${version} is kept already with a different payload`);
      }
    }
    const stored: StoredConfig = { namespace, name, version, owner: config.owner, jws: config.jws, acceptedAt: now };
    this.#health.write('a signed config', () => this.#stmts.upsert.run(namespace, name, version, config.owner, config.jws, now));
    this.#pendingRemovals.delete(key(namespace, name));
    this.#byKey.set(key(namespace, name), stored);
    return { status: 'accepted', stored };
  }

  /** Forgets a kept config (one that no longer verifies under the current trust). */
  remove(namespace: string, name: string): void {
    this.#byKey.delete(key(namespace, name));
    try {
      this.#health.write('a signed config removal', () => this.#stmts.remove.run(namespace, name));
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_STORAGE_FULL') throw err;
      this.#pendingRemovals.set(key(namespace, name), [namespace, name]);
      this.#health.pending();
    }
  }

  #flushRemovals(): boolean {
    if (this.#pendingRemovals.size === 0 || !this.#db.open) return true;
    const all = [...this.#pendingRemovals];
    try {
      this.#health.write('signed config removals', () =>
        this.#db.transaction(() => {
          for (const [, [ns, n]] of all) this.#stmts.remove.run(ns, n);
        })(),
      );
    } catch {
      return false;
    }
    for (const [k] of all) this.#pendingRemovals.delete(k);
    return true;
  }
}
