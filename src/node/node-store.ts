import type { Logger } from 'pino';
import type { NodeConfig } from '../config/index.js';
import { RefusalLog, errorSummary } from '../errors/refusal-log.js';
import { ReplayGuard } from '../inbox/replay-guard.js';
import { HeldStore } from '../bus/held-store.js';
import { OutboxStore } from '../outbox/outbox-store.js';
import { StatusStore } from '../status/status-store.js';
import { closeNodeStore, openNodeStore, type Db } from '../store/database.js';
import { storageHealthOf, type StorageHealth } from '../store/storage-health.js';
import type { Part } from './lifecycle.js';

/**
 * What a node keeps on disk, in one SQLite store in its home (docs/node.md):
 * the outbox, the messages held for the apps, the replay guard's records,
 * delivery statuses — all written in one transaction per event-loop turn
 * — and whether the store takes writes at all.
 */
export class NodeStore implements Part {
  readonly name = 'store';
  readonly db: Db;
  /** Whether the store takes writes (docs/node.md "A full disk"). */
  readonly storage: StorageHealth;
  readonly outbox: OutboxStore;
  /** What the node holds for its apps (docs/node.md "Held for the apps"). */
  readonly held: HeldStore;
  /** Duplicates and stale copies, per proved sender (docs/security.md "Replay protection"). */
  readonly replay: ReplayGuard;
  readonly status: StatusStore;
  #closed = false;

  constructor(config: NodeConfig, logger: Logger, onHeldDropped: (reason: 'limit' | 'expired', n: number) => void) {
    this.db = openNodeStore(config.home, { acceptLoss: config.acceptStoreLoss === true, warn: (fields, msg) => logger.warn({ component: 'store', ...fields }, msg) });
    this.storage = storageHealthOf(this.db);
    const log = new RefusalLog(logger.child({ component: 'store' }));
    this.storage.on('change', (ok, err) => {
      if (ok) logger.info({ component: 'store' }, 'store takes writes again: new work accepted');
      else log.note('warn', 'storage_full', 'store cannot be written (disk full?): refusing new work until it can; retrying', { err: errorSummary(err) });
    });
    const limits = config.limits;
    this.replay = new ReplayGuard({
      db: this.db,
      maxTotal: limits.replayEntries,
      maxPerSender: Math.min(limits.replayEntriesPerSender, limits.replayEntries),
      onError: (err) => log.note('warn', 'replay_write', 'could not write the replay-protection state (kept in memory; written again later)', { err: errorSummary(err) }),
      // Recorded on disk only after the turn's messages are held: a crash in between must not leave a message "seen" but gone.
      schedule: (flush) => this.held.afterCommit(flush),
    });
    this.outbox = new OutboxStore(this.db, { maxEntries: limits.maxQueuedMessages, maxBytes: limits.maxQueuedBytes, health: this.storage });
    this.held = new HeldStore({
      db: this.db,
      maxMessages: limits.heldMessages,
      maxBytes: limits.heldBytes,
      maxPerTopic: limits.heldPerTopic,
      onDropped: onHeldDropped,
      onError: (err) => log.note('warn', 'held_write', 'could not write messages held for the apps (their senders get no ACK and send them again)', { err: errorSummary(err) }),
    });
    this.status = new StatusStore(this.db);
  }

  /** Writes what is pending and closes the store (last, after every part that writes to it). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.outbox.flush();
    this.held.close();
    this.replay.close();
    this.storage.close();
    closeNodeStore(this.db);
  }
}
