import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { isNodeId } from '../../identity/node-id.js';
import type { NodeId } from '../../identity/types.js';

/** Files in the home folder: one node ID per line, `#` starts a comment. */
export const ALLOW_FILE = 'peers.allow';
export const DENY_FILE = 'peers.deny';

/** A peer asking for a link, as authentication identified it. */
export interface PeerCandidate {
  id: NodeId;
  caSigned: boolean;
  direction: 'inbound' | 'outbound';
}

export type AccessDecision = { ok: true } | { ok: false; message: string };

interface Lists {
  allow: Set<NodeId> | null;
  deny: Set<NodeId>;
}

/**
 * Who may hold a link with this node (docs/transports.md, "Authorization"):
 *
 * - a node on the deny list (`peers.deny`) never, whichever side dialed;
 * - without an allow list (`peers.allow` absent), any authenticated node;
 * - with an allow list, an inbound peer only if it is listed or its
 *   certificate was signed by the trust CA (peers this node dials were
 *   chosen by its operator and need not be listed).
 *
 * Both files are read again when they change (the home folder is watched)
 * and `change` is emitted so that live links can be checked again.
 */
export class AccessPolicy extends EventEmitter<{ change: [] }> {
  readonly #home: string;
  readonly #log: Logger;
  #lists: Lists = { allow: null, deny: new Set() };
  #watcher: FSWatcher | null = null;
  #reloadTimer: NodeJS.Timeout | null = null;
  #stamp = '';

  constructor(home: string, logger: Logger) {
    super();
    this.#home = home;
    this.#log = logger;
  }

  /** Reads the lists and starts watching them. */
  async start(): Promise<void> {
    await this.reload();
    try {
      this.#watcher = watch(this.#home, { persistent: false }, (_event, name) => {
        if (name === ALLOW_FILE || name === DENY_FILE || name === null) this.#scheduleReload();
      });
      this.#watcher.on('error', (err) => this.#log.warn({ err }, 'cannot watch the peer allow/deny lists; changes need a restart'));
    } catch (err) {
      this.#log.warn({ err }, 'cannot watch the peer allow/deny lists; changes need a restart');
    }
  }

  stop(): void {
    this.#watcher?.close();
    this.#watcher = null;
    if (this.#reloadTimer) clearTimeout(this.#reloadTimer);
  }

  check(peer: PeerCandidate): AccessDecision {
    const { allow, deny } = this.#lists;
    if (deny.has(peer.id)) return { ok: false, message: 'node is on the deny list' };
    if (allow === null || peer.direction === 'outbound') return { ok: true };
    if (allow.has(peer.id)) return { ok: true };
    if (peer.caSigned) return { ok: true };
    return { ok: false, message: 'node is not on the allow list' };
  }

  #scheduleReload(): void {
    if (this.#reloadTimer) return;
    this.#reloadTimer = setTimeout(() => {
      this.#reloadTimer = null;
      this.reload().catch((err: unknown) => this.#log.warn({ err }, 'cannot read the peer allow/deny lists'));
    }, 50);
    this.#reloadTimer.unref();
  }

  /** Reads both files again; emits `change` when what they say changed. */
  async reload(): Promise<void> {
    const [allow, deny] = await Promise.all([this.#read(ALLOW_FILE), this.#read(DENY_FILE)]);
    const stamp = JSON.stringify([allow && [...allow].sort(), [...(deny ?? [])].sort()]);
    this.#lists = { allow, deny: deny ?? new Set() };
    if (stamp === this.#stamp) return;
    const first = this.#stamp === '';
    this.#stamp = stamp;
    if (!first || allow || deny) {
      this.#log.info({ allow: allow ? allow.size : 'any', deny: deny?.size ?? 0 }, 'peer access lists loaded');
    }
    if (!first) this.emit('change');
  }

  async #read(name: string): Promise<Set<NodeId> | null> {
    const path = join(this.#home, name);
    let text: string;
    try {
      if (!(await stat(path)).isFile()) return null;
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const ids = new Set<NodeId>();
    text.split('\n').forEach((line, i) => {
      const entry = line.replace(/#.*/, '').trim();
      if (entry === '') return;
      if (isNodeId(entry)) ids.add(entry);
      else this.#log.warn({ file: path, line: i + 1 }, 'ignoring a line that is not a full node ID');
    });
    return ids;
  }
}
